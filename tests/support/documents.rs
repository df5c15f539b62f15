//! A local HTTP server of fixed documents, which a test changes as it goes:
//! the Cloudflare Access team's key set (JWKS) for the Worker to fetch, or
//! a page of another site for the browser to open. It counts what it serves.

use super::http::{read_body, read_head};
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Default)]
struct Shared {
    /// (path, content type, body)
    documents: Mutex<Vec<(String, String, Vec<u8>)>>,
    /// Paths requested, in order.
    served: Mutex<Vec<String>>,
    stopped: AtomicBool,
}

pub struct Documents {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Documents {
    pub fn start() -> Documents {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the document server");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let shared = Arc::clone(&accepting);
                    thread::spawn(move || serve(stream, &shared));
                }
            }
        });
        Documents { port, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Serves `body` at `path` from now on.
    pub fn set(&self, path: &str, content_type: &str, body: &[u8]) {
        let mut documents = self.shared.documents.lock().unwrap();
        documents.retain(|(p, _, _)| p != path);
        documents.push((path.to_owned(), content_type.to_owned(), body.to_vec()));
    }

    /// How many times `path` was requested.
    pub fn served(&self, path: &str) -> usize {
        self.shared.served.lock().unwrap().iter().filter(|p| *p == path).count()
    }
}

impl Drop for Documents {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let Ok((request_line, headers)) = read_head(&mut reader) else { return };
    let _ = read_body(&mut reader, &headers, false);
    let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    shared.served.lock().unwrap().push(path.clone());
    let found = shared.documents.lock().unwrap().iter().find(|(p, _, _)| *p == path).cloned();
    let mut stream = stream;
    let (status, content_type, body) = match found {
        Some((_, content_type, body)) => ("200 OK", content_type, body),
        None => ("404 Not Found", "text/plain".to_owned(), b"not found".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}
