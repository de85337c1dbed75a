//! uccluster's sections of `keepalived.conf` read back into the model.
//!
//! keepalived's layout rules (keepalived.conf(5) DESCRIPTION: "Keywords are placed in
//! hierarchies of blocks and subblocks, each layer being delimited by '{' and '}' pairs";
//! "Comments start with '#' or '!' to the end of the line and can start anywhere in a line"),
//! and what `keepalived -t` 2.2.7 accepts beyond them (checked on the fixtures): any blanks and
//! tabs, a `{` on the line after its keyword, a block on one line (`real_server a p { weight 1
//! }`), braces stuck to a word (`25{`, `1}`). A statement is the words of one line up to a
//! brace. Statements the codec does not know, comment lines other than the notice, and
//! unbalanced braces are `foreign` lines; they are not read.

use super::config::{section, DISABLED_COMMENT, MARKERS, NOTICE};
use crate::devices::lb::ipvs::member_name;
use crate::devices::lb::virtual_server::{
    F5Options, Forwarding, Member, Method, Monitor, Persistence, Protocol, VirtualServer,
};
use crate::devices::marked::{self, Region};
use std::net::{IpAddr, SocketAddr};

/// One of uccluster's sections as `keepalived.conf` has it.
///
/// The lines [`section`] writes become the model; any other line is listed in `foreign` and
/// is not read. Whether the section is what uccluster would write for the model it holds is
/// [`Section::edited_by_hand`], so the caller shows a hand edit as drift (the next apply writes
/// the section again) instead of failing the read. Only a file whose markers are broken is an
/// error ([`sections`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    /// 1-based line of the BEGIN marker in the file.
    pub line: usize,
    /// The section as the file has it, markers included, with `\n` line breaks.
    pub text: String,
    /// What the section configures; `None` when a line it needs is missing or foreign (the
    /// `virtual_server` line, its `protocol`), or its braces do not balance.
    pub vs: Option<VirtualServer>,
    /// `ops` on its UDP block.
    pub one_packet: bool,
    /// Lines that [`section`] would not have written: (1-based line in the file, the line).
    pub foreign: Vec<(usize, String)>,
}

impl Section {
    /// Whether the section differs from what uccluster writes for the model it holds: a hand
    /// edit, a missing line, another layout, lines in another order.
    pub fn edited_by_hand(&self) -> bool {
        match &self.vs {
            Some(vs) => section(vs, self.one_packet).as_deref() != Ok(self.text.as_str()),
            None => true,
        }
    }
}

/// uccluster's sections of `config`, in file order.
pub fn sections(config: &str) -> Result<Vec<Section>, String> {
    Ok(marked::regions(config, &MARKERS)?
        .into_iter()
        .map(read_section)
        .collect())
}

/// The section of the virtual server `name`, if the file has one.
pub fn find_section(config: &str, name: &str) -> Result<Option<Section>, String> {
    Ok(sections(config)?.into_iter().find(|s| s.name == name))
}

/// A word or a brace, with its line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Open,
    Close,
}

/// A line's tokens and its comment (the text after the first `#` or `!`, trimmed). Quotes are
/// not interpreted: uccluster writes none, and a quoted word is in a statement the codec does
/// not know anyway.
fn tokens(line: &str) -> (Vec<Token>, Option<&str>) {
    let (code, comment) = match line.find(['#', '!']) {
        Some(i) => (&line[..i], Some(line[i + 1..].trim())),
        None => (line, None),
    };
    let mut out = Vec::new();
    for word in code.split_whitespace() {
        let mut rest = word;
        while !rest.is_empty() {
            let cut = rest.find(['{', '}']).unwrap_or(rest.len());
            if cut > 0 {
                out.push(Token::Word(rest[..cut].to_string()));
                rest = &rest[cut..];
                continue;
            }
            out.push(if rest.starts_with('{') {
                Token::Open
            } else {
                Token::Close
            });
            rest = &rest[1..];
        }
    }
    (out, comment)
}

/// A statement: the words of one line up to a brace, and the block that follows it.
#[derive(Clone, Debug, Default)]
struct Stmt {
    line: usize,
    words: Vec<String>,
    comment: Option<String>,
    block: Option<Vec<Stmt>>,
}

/// Tokens of every line in order, each with its line number, and the comment per line.
struct Lexed {
    tokens: Vec<(usize, Token)>,
    comments: Vec<(usize, String)>,
}

fn lex(body: &[(usize, String)]) -> Lexed {
    let mut lexed = Lexed {
        tokens: Vec::new(),
        comments: Vec::new(),
    };
    for (number, line) in body {
        let (tokens, comment) = tokens(line);
        lexed
            .tokens
            .extend(tokens.into_iter().map(|t| (*number, t)));
        if let Some(c) = comment {
            lexed.comments.push((*number, c.to_string()));
        }
    }
    lexed
}

/// A brace that does not balance, by its line.
struct Unbalanced(usize);

struct Parser<'a> {
    tokens: &'a [(usize, Token)],
    comments: &'a [(usize, String)],
    at: usize,
}

impl Parser<'_> {
    fn comment(&self, line: usize) -> Option<String> {
        self.comments
            .iter()
            .find(|(n, _)| *n == line)
            .map(|(_, c)| c.clone())
    }

    /// Statements until the `}` that closes the block (`nested`) or the end.
    fn block(&mut self, nested: Option<usize>) -> Result<Vec<Stmt>, Unbalanced> {
        let mut out: Vec<Stmt> = Vec::new();
        while let Some((line, token)) = self.tokens.get(self.at).cloned() {
            self.at += 1;
            match token {
                Token::Close => match nested {
                    Some(_) => return Ok(out),
                    None => return Err(Unbalanced(line)),
                },
                // A `{` opens the block of the statement before it (on its line or the line
                // above); a `{` with no statement before it is keepalived's "Unexpected '{'".
                Token::Open => match out.last_mut() {
                    Some(stmt) if stmt.block.is_none() => {
                        stmt.block = Some(self.block(Some(line))?)
                    }
                    _ => return Err(Unbalanced(line)),
                },
                Token::Word(word) => match out.last_mut() {
                    Some(stmt) if stmt.line == line && stmt.block.is_none() => {
                        stmt.words.push(word)
                    }
                    _ => out.push(Stmt {
                        line,
                        words: vec![word],
                        comment: self.comment(line),
                        block: None,
                    }),
                },
            }
        }
        match nested {
            Some(line) => Err(Unbalanced(line)),
            None => Ok(out),
        }
    }
}

/// What the lines of one `virtual_server` block say.
#[derive(Clone, Debug, Default)]
struct Block {
    address: Option<(IpAddr, u16)>,
    protocol: Option<Protocol>,
    method: Option<Method>,
    forwarding: Option<Forwarding>,
    ops: bool,
    persistence: bool,
    members: Vec<Member>,
    monitors: Vec<Monitor>,
}

fn parse_number<T: std::str::FromStr>(word: &str) -> Option<T> {
    match !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
        true => word.parse().ok(),
        false => None,
    }
}

fn parse_endpoint(address: &str, port: &str) -> Option<(IpAddr, u16)> {
    Some((address.parse().ok()?, parse_number(port)?))
}

/// `weight 0 # uccluster: enabled = false, weight N` is a disabled member of weight N.
fn parse_weight(words: &[String], comment: Option<&str>) -> Option<(u32, bool)> {
    let [w] = words else { return None };
    let weight: u32 = parse_number(w)?;
    let kept = comment
        .and_then(|c| c.strip_prefix(DISABLED_COMMENT))
        .and_then(|n| parse_number::<u32>(n.trim()));
    match (weight, kept) {
        (0, Some(kept)) => Some((kept, false)),
        _ => Some((weight, true)),
    }
}

fn monitor(keyword: &str) -> Option<Monitor> {
    match keyword {
        "TCP_CHECK" => Some(Monitor::Tcp),
        "SMTP_CHECK" => Some(Monitor::Smtp),
        "PING_CHECK" => Some(Monitor::Icmp),
        _ => None,
    }
}

/// The set of foreign lines, and the lines' texts to quote.
struct Foreign<'a> {
    body: &'a [(usize, String)],
    lines: Vec<(usize, String)>,
}

impl Foreign<'_> {
    fn push(&mut self, line: usize) {
        if self.lines.iter().any(|(n, _)| *n == line) {
            return;
        }
        let text = self
            .body
            .iter()
            .find(|(n, _)| *n == line)
            .map_or_else(String::new, |(_, t)| t.clone());
        self.lines.push((line, text));
    }
}

fn read_real_server(stmt: &Stmt, block: &mut Block, foreign: &mut Foreign) -> Option<()> {
    let [_, address, port] = stmt.words.as_slice() else {
        return None;
    };
    let (address, port) = parse_endpoint(address, port)?;
    let mut weight = None;
    for inner in stmt.block.as_ref()? {
        let known = match (inner.words[0].as_str(), &inner.block) {
            ("weight", None) if weight.is_none() => {
                weight = parse_weight(&inner.words[1..], inner.comment.as_deref());
                weight.is_some()
            }
            (keyword, Some(checks)) if inner.words.len() == 1 => match monitor(keyword) {
                Some(m) => {
                    checks.iter().for_each(|c| foreign.push(c.line));
                    if !block.monitors.contains(&m) {
                        block.monitors.push(m);
                    }
                    true
                }
                None => false,
            },
            _ => false,
        };
        if !known {
            foreign.push(inner.line);
        }
    }
    // keepalived.conf(5): "relative weight to use, default: 1".
    let (weight, enabled) = weight.unwrap_or((1, true));
    block.members.push(Member {
        name: member_name(&SocketAddr::new(address, port)),
        address,
        port: Some(port),
        weight,
        enabled,
    });
    Some(())
}

/// One line of a `virtual_server` block; whether it is one the codec reads.
fn read_line(stmt: &Stmt, block: &mut Block, foreign: &mut Foreign) -> bool {
    let words: Vec<&str> = stmt.words.iter().map(String::as_str).collect();
    match (words.as_slice(), &stmt.block) {
        (["protocol", p], None) if block.protocol.is_none() => {
            block.protocol = match *p {
                "TCP" => Some(Protocol::Tcp),
                "UDP" => Some(Protocol::Udp),
                _ => None,
            };
            block.protocol.is_some()
        }
        // `lb_algo` and `lb_kind`: the samples' older words for `lvs_sched` and `lvs_method`.
        (["lvs_sched" | "lb_algo", s], None) if block.method.is_none() => {
            block.method = match *s {
                "wrr" => Some(Method::RoundRobin),
                "wlc" => Some(Method::LeastConnections),
                _ => None,
            };
            block.method.is_some()
        }
        (["lvs_method" | "lb_kind", f], None) if block.forwarding.is_none() => {
            block.forwarding = match *f {
                "NAT" => Some(Forwarding::Nat),
                "DR" => Some(Forwarding::DirectRouting),
                _ => None,
            };
            block.forwarding.is_some()
        }
        (["ops"], None) if !block.ops => {
            block.ops = true;
            true
        }
        (["persistence_timeout", t], None) if !block.persistence => {
            block.persistence = parse_number::<u32>(t).is_some();
            block.persistence
        }
        (["delay_loop", t], None) => parse_number::<u32>(t).is_some(),
        (["real_server", ..], Some(_)) => read_real_server(stmt, block, foreign).is_some(),
        _ => false,
    }
}

fn read_block(stmt: &Stmt, foreign: &mut Foreign) -> Option<Block> {
    let [_, address, port] = stmt.words.as_slice() else {
        return None;
    };
    let mut block = Block {
        address: Some(parse_endpoint(address, port)?),
        ..Block::default()
    };
    for inner in stmt.block.as_ref()? {
        if !read_line(inner, &mut block, foreign) {
            foreign.push(inner.line);
        }
    }
    Some(block)
}

/// The virtual server of the section's blocks: the first gives the model, a second of the same
/// address and port and the other protocol makes it `both`.
fn virtual_server(name: &str, blocks: &[Block]) -> Option<(VirtualServer, bool)> {
    let first = blocks.first()?;
    let (address, port) = first.address?;
    let protocol = match (first.protocol?, blocks.get(1).and_then(|b| b.protocol)) {
        (p, None) => p,
        (Protocol::Tcp, Some(Protocol::Udp)) | (Protocol::Udp, Some(Protocol::Tcp)) => {
            Protocol::Both
        }
        (p, Some(_)) => p,
    };
    let members = first
        .members
        .iter()
        .cloned()
        .map(|mut m| {
            // A member on the virtual server's port is written with that port; the model
            // holds it as "no port of its own".
            m.port = m.port.filter(|p| *p != port);
            m
        })
        .collect();
    let one_packet = blocks.iter().any(|b| b.ops);
    let vs = VirtualServer {
        name: name.to_string(),
        address,
        port: Some(port),
        protocol,
        // keepalived -t 2.2.7 without a scheduler: "no scheduler set, setting default 'wlc'";
        // without a method: "setting default NAT" (keepalived.conf(5): "default is NAT").
        method: first.method.unwrap_or(Method::LeastConnections),
        forwarding: first.forwarding.unwrap_or(Forwarding::Nat),
        persistence: match first.persistence {
            true => Persistence::SourceAddress,
            false => Persistence::None,
        },
        monitors: first.monitors.clone(),
        members,
        f5: F5Options::default(),
    };
    Some((vs, one_packet))
}

/// The top level of the section: the notice, then `virtual_server` blocks.
fn read_top(stmts: &[Stmt], foreign: &mut Foreign) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for stmt in stmts {
        let block = match (stmt.words[0].as_str(), blocks.len()) {
            ("virtual_server", 0 | 1) => read_block(stmt, foreign),
            _ => None,
        };
        let second_fits =
            |b: &Block| blocks.is_empty() || (blocks.len() == 1 && b.address == blocks[0].address);
        match block {
            Some(b) if second_fits(&b) => blocks.push(b),
            _ => foreign.push(stmt.line),
        }
    }
    blocks
}

fn read_section(region: Region) -> Section {
    let text = region.text(&MARKERS);
    // The notice is a comment line; every other comment-only line is a hand edit.
    let notice = region
        .body
        .first()
        .filter(|(_, line)| line.trim() == NOTICE)
        .map(|(n, _)| *n);
    let lexed = lex(&region.body);
    let mut foreign = Foreign {
        body: &region.body,
        lines: Vec::new(),
    };
    let mut parser = Parser {
        tokens: &lexed.tokens,
        comments: &lexed.comments,
        at: 0,
    };
    let vs = match parser.block(None) {
        Ok(stmts) => virtual_server(&region.name, &read_top(&stmts, &mut foreign)),
        Err(Unbalanced(line)) => {
            foreign.push(line);
            None
        }
    };
    for (number, _) in &lexed.comments {
        let comment_only = !lexed.tokens.iter().any(|(n, _)| n == number);
        if comment_only && Some(*number) != notice {
            foreign.push(*number);
        }
    }
    for (number, line) in &region.body {
        let blank = line.trim().is_empty();
        if blank {
            foreign.push(*number);
        }
    }
    foreign.lines.sort();
    let (vs, one_packet) = match vs {
        Some((vs, ops)) => (Some(vs), ops),
        None => (None, false),
    };
    Section {
        name: region.name,
        line: region.begin_line,
        text,
        vs,
        one_packet,
        foreign: foreign.lines,
    }
}
