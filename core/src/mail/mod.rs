//! Email: the message the email channel sends (`message`), the SMTP
//! submission that sends it where no `send_email` binding does (`smtp`), and
//! the messages that are pings (`inbound`).

pub mod inbound;
pub mod message;
pub mod smtp;
