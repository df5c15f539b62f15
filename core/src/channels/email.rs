//! Email: a multipart text and HTML message (`crate::mail::message`) to one
//! or more addresses, sent by the deployment's transport: Cloudflare's
//! `send_email` binding when bound, else SMTP submission (`SMTP_HOST`…),
//! from `EMAIL_FROM` (docs/email.md). A recipient the receiving server
//! refuses for good (550, 551, 553: no such mailbox) makes, when every
//! recipient is refused, a permanent refusal.

use super::{Context, Delivery, EmailOut, Field, FieldKind, Kind, KindInfo};
use crate::alert::Alert;
use serde::{Deserialize, Serialize};

pub const MAX_RECIPIENTS: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: Vec<String>,
}

impl Kind for Email {
    const INFO: KindInfo = KindInfo {
        name: "email",
        title: "Email",
        fields: &[Field::new(
            "to",
            "To",
            FieldKind::Emails { max: MAX_RECIPIENTS },
            "One to ten addresses: a list, or one text with commas.",
        )],
        about: "Alerts by email, sent by the deployment's transport (the send_email binding, or SMTP).",
        example: r#"{"to": ["ops@example.com", "oncall@example.com"]}"#,
    };

    fn endpoint(&self) -> Option<String> {
        None
    }

    fn deliver(&self, alert: &Alert, context: &Context) -> Delivery {
        let Some(from) = context.email_from else {
            return Delivery::Impossible("email is not set up on this deployment (EMAIL_FROM, docs/email.md)".into());
        };
        match crate::mail::message::build(alert, from, &self.to, context.delivery_id, context.now) {
            Ok(message) => Delivery::Email(EmailOut { from: from.to_owned(), to: self.to.clone(), message }),
            Err(problem) => Delivery::Impossible(format!("the message could not be built: {problem}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::alert::AlertEvent;
    use crate::channels::tests::context;
    use crate::check::FlipReason;

    #[test]
    fn an_email_goes_to_every_address_from_the_deployments_sender() {
        let email = Email { to: vec!["a@example.com".into(), "b@example.com".into()] };
        match email.deliver(&sample(AlertEvent::Down(FlipReason::Timeout)), &context()) {
            Delivery::Email(out) => {
                assert_eq!((out.from.as_str(), out.to.len()), ("edgebeat@eb.example", 2));
                let text = String::from_utf8(out.message).unwrap();
                assert!(text.contains("Subject: DOWN: nightly-backup"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        let mut unset = context();
        unset.email_from = None;
        assert!(
            matches!(email.deliver(&sample(AlertEvent::Late), &unset), Delivery::Impossible(p) if p.contains("EMAIL_FROM"))
        );
    }
}
