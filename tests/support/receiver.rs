//! A real local HTTP server standing in for Slack, PagerDuty or a webhook
//! endpoint: it records every request and answers as the test scripts it to.

use super::http::{header, read_body, read_head};
use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: SystemTime,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// How the receiver answers one request.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    Status(u16),
    /// Accept the request and never answer (until the receiver is dropped).
    Hang,
    /// Accept the request and answer 200 once `release()` is called.
    Hold,
    /// Answer with this redirect status and `Location:` the receiver on
    /// this port (path `/redirected`).
    Redirect {
        status: u16,
        to_port: u16,
    },
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Answer>>,
    stopped: AtomicBool,
    released: AtomicBool,
}

pub struct Receiver {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Starts listening on a free loopback port; answers 200 unless scripted.
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let port = listener.local_addr().expect("receiver address").port();
        let shared = Arc::new(Shared::default());
        let accept_shared = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let conn_shared = Arc::clone(&accept_shared);
                    thread::spawn(move || serve(stream, &conn_shared));
                }
            }
        });
        Receiver { port, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Answers the next requests in this order, then 200 again.
    pub fn answer_with(&self, answers: &[Answer]) {
        self.shared.script.lock().unwrap().extend(answers.iter().copied());
    }

    /// Lets every held request (`Answer::Hold`) be answered.
    pub fn release(&self) {
        self.shared.released.store(true, Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Waits until at least `count` requests arrived, or panics after `timeout`.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "receiver got {} requests, expected {count}: {:#?}",
                requests.len(),
                requests.iter().map(|r| (&r.method, &r.path)).collect::<Vec<_>>()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so its thread ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let Ok((request_line, headers)) = read_head(&mut reader) else { return };
    let Ok(body) = read_body(&mut reader, &headers, false) else { return };
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let answer = shared.script.lock().unwrap().pop_front().unwrap_or(Answer::Status(200));
    shared.requests.lock().unwrap().push(Recorded { method, path, headers, body, received_at: SystemTime::now() });
    let mut stream = stream;
    if let Answer::Hold = answer {
        while !shared.released.load(Ordering::SeqCst) && !shared.stopped.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(20));
        }
    }
    match answer {
        Answer::Hold => {
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        Answer::Status(status) => {
            let body = format!("{{\"status\": {status}}}");
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Answer::Redirect { status, to_port } => {
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Moved\r\nLocation: http://127.0.0.1:{to_port}/redirected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Answer::Hang => {
            while !shared.stopped.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}
