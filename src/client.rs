//! The HTTP client of the commands that talk to a running server (`console`, `campaign`).
//!
//! One place for what they share: the `--http`, `-u`, `-p` / `LIANXIN_PASSWORD` flags, the
//! log-in (`POST /api/login`), the session token carried only in the `Authorization`
//! header (never in a URL: docs/desk-protocol.md §1), JSON requests and answers, and error
//! messages that say what to do next (start the server, check the password, ask for
//! another role, fix a flag).
//!
//! It speaks just enough HTTP/1.1 for the desk's API: one request per connection
//! (`Connection: close`), the answer read to the end (Content-Length or chunked), every
//! wait bounded. Framing and parsing are plain functions so they are tested without a
//! server; the server side is `lianxin-desk`.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest wait for one request and its answer (an upload gets [`UPLOAD_TIMEOUT`]).
const TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for an upload (a notice of up to 20 MB) and its conversion.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// Largest answer read (a report of every household of a big community fits easily).
const MAX_ANSWER: u64 = 256 << 20;

/// Where the server is and who logs in: the flags every client command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// The server's console address (as printed by `lianxin serve`).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// Staff user name (demo: 8001, an operator; staff, committee staff, for campaigns).
    #[arg(long, short)]
    pub user: String,
    /// Password (demo: demo8001, demo-staff). Falls back to the LIANXIN_PASSWORD
    /// environment variable.
    #[arg(long, short, env = "LIANXIN_PASSWORD", hide_env_values = true)]
    pub password: String,
}

/// Why a request to the server failed. Each message says what to try next.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing accepts connections at the address.
    #[error("cannot reach the server at {addr} ({cause}): is `lianxin serve` running? pass --http ADDR:PORT")]
    Unreachable {
        /// The address tried.
        addr: SocketAddr,
        /// The connect error (in the message, not a `source`, so it is said once).
        cause: std::io::Error,
    },
    /// The connection broke while sending or reading.
    #[error("the connection to the server at {addr} failed ({cause}); try again")]
    Broken {
        /// The server's address.
        addr: SocketAddr,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// No answer in time.
    #[error("the server at {addr} did not answer within {} s; is it overloaded? try again", .after.as_secs())]
    Timeout {
        /// The server's address.
        addr: SocketAddr,
        /// How long we waited.
        after: Duration,
    },
    /// The answer is not the HTTP/JSON the API gives (another program on that port?).
    #[error("the server at {addr} gave an answer that is not Lianxin's API ({why}); is --http the console address of `lianxin serve`?")]
    Malformed {
        /// The server's address.
        addr: SocketAddr,
        /// What was wrong.
        why: String,
    },
    /// The server answered with an error status.
    #[error("{0}")]
    Refused(Refusal),
}

/// An error answer of the API (`{"error": "<中文>", "field": "<field>"}`) and what was
/// being done when it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// The server's message (Simplified Chinese), if it sent one.
    pub error: Option<String>,
    /// The request field at fault, if named.
    pub field: Option<String>,
    /// What we asked for, in English ("start the campaign").
    pub what: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let said = match (&self.error, &self.field) {
            (Some(e), Some(field)) => format!(": {e} (field `{field}`)"),
            (Some(e), None) => format!(": {e}"),
            (None, Some(field)) => format!(" (field `{field}`)"),
            (None, None) => String::new(),
        };
        let what = &self.what;
        match self.status {
            400 | 422 => write!(f, "the server refused to {what}{said}"),
            401 => write!(
                f,
                "the server refused to {what}{said}; check -u USER and -p PASSWORD (or LIANXIN_PASSWORD)"
            ),
            403 => write!(
                f,
                "your role may not {what}{said} (committee staff, supervisors and admins may)"
            ),
            404 if self.error.is_none() => write!(
                f,
                "cannot {what}: the server does not know this request (404); is it a Lianxin version with group calls?"
            ),
            404 => write!(f, "cannot {what}{said}"),
            409 => write!(f, "cannot {what} now{said}"),
            413 => write!(f, "cannot {what}: too large for the server{said}"),
            429 => write!(f, "cannot {what}: too many attempts{said}; wait and try again"),
            503 => write!(f, "cannot {what}: the server is busy or the dialer is not running{said}; try again later"),
            s => write!(f, "cannot {what}: the server answered {s}{said}"),
        }
    }
}

/// A logged-in session with a server.
#[derive(Debug, Clone)]
pub struct Client {
    addr: SocketAddr,
    user: String,
    token: String,
}

impl Client {
    /// Logs in with the flags' user name and password.
    pub async fn login(args: &ServerArgs) -> Result<Client, ClientError> {
        let body = serde_json::json!({"username": args.user, "password": args.password});
        let what = format!("log in as {}", args.user);
        let v = exchange_json(args.http, "POST", "/api/login", None, &body, &what).await?;
        let token = v["token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ClientError::Malformed {
                addr: args.http,
                why: "the log-in answer has no token".into(),
            })?;
        Ok(Client {
            addr: args.http,
            user: args.user.clone(),
            token: token.to_string(),
        })
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The user name logged in.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The session token (for the `Authorization` header of the WebSocket upgrade).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// `GET path`; `what` names the action for error messages ("list campaigns").
    pub async fn get(&self, path: &str, what: &str) -> Result<Value, ClientError> {
        let req = Request::new("GET", path, Some(&self.token), None, Vec::new());
        answer_json(self.addr, send(self.addr, &req, TIMEOUT).await?, what)
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value, what: &str) -> Result<Value, ClientError> {
        exchange_json(self.addr, "POST", path, Some(&self.token), body, what).await
    }

    /// `PUT path` with raw bytes (an audio file).
    pub async fn put_bytes(
        &self,
        path: &str,
        bytes: Vec<u8>,
        what: &str,
    ) -> Result<Value, ClientError> {
        let req = Request::new(
            "PUT",
            path,
            Some(&self.token),
            Some("application/octet-stream"),
            bytes,
        );
        answer_json(
            self.addr,
            send(self.addr, &req, UPLOAD_TIMEOUT).await?,
            what,
        )
    }
}

async fn exchange_json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
    what: &str,
) -> Result<Value, ClientError> {
    let req = Request::new(
        method,
        path,
        token,
        Some("application/json"),
        body.to_string().into_bytes(),
    );
    answer_json(addr, send(addr, &req, TIMEOUT).await?, what)
}

/// One request, ready to frame.
#[derive(Debug)]
struct Request<'a> {
    method: &'a str,
    path: &'a str,
    token: Option<&'a str>,
    content_type: Option<&'a str>,
    body: Vec<u8>,
}

impl<'a> Request<'a> {
    fn new(
        method: &'a str,
        path: &'a str,
        token: Option<&'a str>,
        content_type: Option<&'a str>,
        body: Vec<u8>,
    ) -> Self {
        Request {
            method,
            path,
            token,
            content_type,
            body,
        }
    }

    /// The request's bytes on the wire.
    fn frame(&self, host: SocketAddr) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: application/json\r\n",
            self.method, self.path
        );
        if let Some(t) = self.token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if let Some(ct) = self.content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if !self.body.is_empty() || self.method != "GET" {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// A parsed answer.
#[derive(Debug, PartialEq, Eq)]
struct Response {
    status: u16,
    body: Vec<u8>,
}

async fn send(
    addr: SocketAddr,
    req: &Request<'_>,
    limit: Duration,
) -> Result<Response, ClientError> {
    let io = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|cause| ClientError::Unreachable { addr, cause })?;
        let broken = |cause| ClientError::Broken { addr, cause };
        s.write_all(&req.frame(addr)).await.map_err(broken)?;
        let mut raw = Vec::new();
        (&mut s)
            .take(MAX_ANSWER)
            .read_to_end(&mut raw)
            .await
            .map_err(broken)?;
        parse_response(&raw).map_err(|why| ClientError::Malformed { addr, why })
    };
    tokio::time::timeout(limit, io)
        .await
        .map_err(|_| ClientError::Timeout { addr, after: limit })?
}

/// The JSON of a 2xx answer, or the refusal of any other.
fn answer_json(addr: SocketAddr, resp: Response, what: &str) -> Result<Value, ClientError> {
    let v: Option<Value> = serde_json::from_slice(&resp.body).ok();
    if (200..300).contains(&resp.status) {
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        return v.ok_or_else(|| ClientError::Malformed {
            addr,
            why: format!("a {} answer that is not JSON", resp.status),
        });
    }
    let text = |k: &str| {
        v.as_ref()
            .and_then(|v| v[k].as_str())
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    Err(ClientError::Refused(Refusal {
        status: resp.status,
        error: text("error"),
        field: text("field"),
        what: what.to_string(),
    }))
}

/// Parses a whole HTTP/1.1 answer (status line, headers, body by Content-Length, chunked
/// or to the end).
fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "headers are not UTF-8")?;
    let rest = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(format!("not an HTTP status line: {status_line:.40}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status code in: {status_line:.40}"))?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| "bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or("answer shorter than its Content-Length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, body })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line cut short")?;
        let line = std::str::from_utf8(&rest[..eol]).map_err(|_| "bad chunk size")?;
        let hex = line.split(';').next().unwrap_or("").trim();
        let n = usize::from_str_radix(hex, 16).map_err(|_| "bad chunk size")?;
        rest = &rest[eol + 2..];
        if n == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..n).ok_or("chunk cut short")?;
        body.extend_from_slice(chunk);
        rest = rest.get(n + 2..).ok_or("chunk cut short")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8080))
    }

    #[test]
    fn token_goes_in_the_header_and_body_length_is_set() {
        let req = Request::new(
            "POST",
            "/api/campaigns",
            Some("abc"),
            Some("application/json"),
            b"{}".to_vec(),
        );
        let text = String::from_utf8(req.frame(addr())).unwrap();
        assert!(
            text.starts_with("POST /api/campaigns HTTP/1.1\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nAuthorization: Bearer abc\r\n"), "{text}");
        assert!(text.contains("\r\nContent-Length: 2\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\n{}"), "{text}");
        assert!(!text.contains("token"), "{text}");
    }

    #[test]
    fn answers_parse_by_length_chunks_or_close() {
        let r =
            parse_response(b"HTTP/1.1 201 Created\r\ncontent-length: 9\r\n\r\n{\"id\":7}\nextra")
                .unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.body, b"{\"id\":7}\n");
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"{\"a\":1}");
        let r = parse_response(b"HTTP/1.0 200 OK\r\n\r\n[]").unwrap();
        assert_eq!(r.body, b"[]");
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}").is_err());
    }

    fn refusal(raw: &[u8], what: &str) -> String {
        let resp = parse_response(raw).unwrap();
        match answer_json(addr(), resp, what) {
            Err(e) => e.to_string(),
            Ok(v) => panic!("accepted: {v}"),
        }
    }

    #[test]
    fn refusals_say_what_to_do_next() {
        let body = "{\"error\":\"最多 800 路\",\"field\":\"max_calls\"}";
        let raw = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let m = refusal(raw.as_bytes(), "start the campaign");
        assert_eq!(
            m,
            "the server refused to start the campaign: 最多 800 路 (field `max_calls`)"
        );
        let m = refusal(
            b"HTTP/1.1 401 Unauthorized\r\n\r\n{\"error\":\"x\"}",
            "log in as 8001",
        );
        assert!(m.contains("check -u USER and -p PASSWORD"), "{m}");
        let m = refusal(b"HTTP/1.1 403 Forbidden\r\n\r\n{}", "start the campaign");
        assert!(m.starts_with("your role may not start the campaign"), "{m}");
        let m = refusal(b"HTTP/1.1 404 Not Found\r\n\r\n", "list campaigns");
        assert!(m.contains("does not know this request"), "{m}");
    }

    #[test]
    fn unreachable_server_points_at_serve_and_http() {
        let e = ClientError::Unreachable {
            addr: addr(),
            cause: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        let m = e.to_string();
        assert!(
            m.contains("is `lianxin serve` running? pass --http ADDR:PORT"),
            "{m}"
        );
    }

    #[test]
    fn empty_success_is_null_and_garbage_is_malformed() {
        let ok = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert_eq!(answer_json(addr(), ok, "x").unwrap(), Value::Null);
        let bad = parse_response(b"HTTP/1.1 200 OK\r\n\r\n<html>").unwrap();
        assert!(matches!(
            answer_json(addr(), bad, "x"),
            Err(ClientError::Malformed { .. })
        ));
    }
}
