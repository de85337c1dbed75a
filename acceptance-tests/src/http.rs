//! A small HTTP/1.1 server side shared by the HTTPS simulators (f5, imp, cms_mmp's REST API; their
//! TLS loops are [`crate::https`]): one request at a time on
//! a connection (keep-alive unless the client says `Connection: close` or speaks HTTP/1.0),
//! bodies by `Content-Length` only, every size bounded. What iControl REST and AXL/SOAP clients
//! send (reqwest, curl, go-bigip, zeep) fits: a JSON or XML body of known length. Bad input is an
//! [`ReadError`] the server answers with 400/413/431/501 and a closed connection; nothing here
//! panics on what a peer sends. Each simulator names its own reason phrases
//! ([`write_response`]'s `reason`).

use std::io;

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Request line plus headers.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
pub const MAX_HEADERS: usize = 64;
/// A pool with a few hundred members fits many times over.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path, percent-decoded, without the query.
    pub path: String,
    /// Query pairs, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The connection stays open after the reply.
    pub keep_alive: bool,
}

impl Request {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter called `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD /path`: what the command log records and drop faults match.
    pub fn command_line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Why no request could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The peer closed (or the connection broke) between requests.
    Closed,
    /// Not HTTP/1.x as this server reads it: answered 400, then closed.
    Malformed(&'static str),
    /// Request line and headers over [`MAX_HEAD_BYTES`] or [`MAX_HEADERS`]: 431.
    HeadTooLarge,
    /// A body over [`MAX_BODY_BYTES`]: 413.
    BodyTooLarge,
    /// `Transfer-Encoding` (chunked bodies): 501.
    Unsupported(&'static str),
}

impl ReadError {
    /// The reply to send before closing, if any.
    pub fn response(&self) -> Option<Response> {
        let (status, why) = match self {
            ReadError::Closed => return None,
            ReadError::Malformed(why) => (400, *why),
            ReadError::HeadTooLarge => (431, "request head too large"),
            ReadError::BodyTooLarge => (413, "request body too large"),
            ReadError::Unsupported(why) => (501, *why),
        };
        Some(Response::text(status, why))
    }
}

/// One line (without CRLF) within what is left of `budget`; `None` at a clean end of stream.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    budget: &mut usize,
) -> Result<Option<Vec<u8>>, ReadError> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf().await.map_err(|_| ReadError::Closed)?;
        if buf.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(ReadError::Closed)
            };
        }
        let (take, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if take > *budget {
            return Err(ReadError::HeadTooLarge);
        }
        *budget -= take;
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(line));
        }
    }
}

/// `%XX` decoding; `None` for a bad escape or a result that is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn parse_query(q: &str) -> Option<Vec<(String, String)>> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

/// Reads one request.
pub async fn read_request<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<Request, ReadError> {
    let mut budget = MAX_HEAD_BYTES;
    // Clients may send empty lines between requests (RFC 9112 §2.2): skip a few.
    let mut request_line = Vec::new();
    for _ in 0..4 {
        match read_line(r, &mut budget).await? {
            None => return Err(ReadError::Closed),
            Some(l) if l.is_empty() => continue,
            Some(l) => {
                request_line = l;
                break;
            }
        }
    }
    let request_line =
        String::from_utf8(request_line).map_err(|_| ReadError::Malformed("request line"))?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed("request line"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ReadError::Malformed("method"));
    }
    let keep_alive_default = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(ReadError::Malformed("HTTP version")),
    };
    if !target.starts_with('/') {
        return Err(ReadError::Malformed("request target"));
    }
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let path = percent_decode(raw_path).ok_or(ReadError::Malformed("path"))?;
    let query = parse_query(raw_query).ok_or(ReadError::Malformed("query"))?;

    let mut headers = Vec::new();
    loop {
        let line = read_line(r, &mut budget).await?.ok_or(ReadError::Closed)?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(ReadError::HeadTooLarge);
        }
        let line = String::from_utf8(line).map_err(|_| ReadError::Malformed("header"))?;
        let (name, value) = line.split_once(':').ok_or(ReadError::Malformed("header"))?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(ReadError::Malformed("header name"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let find = |n: &str| {
        headers
            .iter()
            .find(|(h, _)| h == n)
            .map(|(_, v)| v.as_str())
    };
    if find("transfer-encoding").is_some() {
        return Err(ReadError::Unsupported("Transfer-Encoding is not supported"));
    }
    let lengths: Vec<&str> = headers
        .iter()
        .filter(|(h, _)| h == "content-length")
        .map(|(_, v)| v.as_str())
        .collect();
    let length = match lengths.as_slice() {
        [] => 0,
        [one] => one
            .parse::<usize>()
            .map_err(|_| ReadError::Malformed("Content-Length"))?,
        _ => return Err(ReadError::Malformed("Content-Length given twice")),
    };
    if length > MAX_BODY_BYTES {
        return Err(ReadError::BodyTooLarge);
    }
    let keep_alive = match find("connection").map(str::to_ascii_lowercase) {
        Some(c) if c.contains("close") => false,
        Some(c) if c.contains("keep-alive") => true,
        _ => keep_alive_default,
    };
    let mut body = vec![0; length];
    r.read_exact(&mut body)
        .await
        .map_err(|_| ReadError::Closed)?;
    Ok(Request {
        method: method.to_string(),
        path,
        query,
        headers,
        body,
        keep_alive,
    })
}

/// One reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON reply, as iControl REST sends every answer.
    pub fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", "application/json; charset=UTF-8".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// No body (BIG-IP's answer to DELETE).
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Plain text, for what is not iControl REST at all (a broken request).
    pub fn text(status: u16, text: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", "text/plain".into())],
            body: text.as_bytes().to_vec(),
        }
    }

    /// A body of the given content type.
    pub fn with_type(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body: body.into(),
        }
    }
}

/// The standard reason phrases (RFC 9110) for the statuses the simulators send.
pub fn standard_reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Writes `response` with its `Content-Length` and the reason phrase `reason` gives its status;
/// `Connection: close` when `keep_alive` is not.
pub async fn write_response<W: AsyncWrite + Unpin>(
    w: &mut W,
    response: &Response,
    keep_alive: bool,
    reason: fn(u16) -> &'static str,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\n",
        response.status,
        reason(response.status),
        response.body.len()
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !keep_alive {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes()).await?;
    w.write_all(&response.body).await?;
    w.flush().await
}
