//! The cluster database and exactly the SQL subset of the lab contract
//! (`/work/notes/imp-contract.md`): `SELECT <cols> | count(*) FROM t [WHERE ...] [ORDER BY c]`,
//! `INSERT INTO t (c, ...) VALUES (v, ...)`, `UPDATE t SET c = v, ... [WHERE ...]`,
//! `DELETE FROM t [WHERE ...]`; conditions `c = 's'`, `c = 1`, `c LIKE 'p%_'`, `c IN ('a', ...)`
//! joined by AND. Keywords are case-insensitive, strings single-quoted with `''` for a quote.
//! Anything else is Informix -201; unknown tables -206, columns -217, a duplicate in a unique
//! index -239 (texts in [`super::messages`]).

use super::messages::{self, Text, TABLES};

/// A column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
}

impl Value {
    pub fn text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
        }
    }
}

/// One table: its definition and rows (values in column order).
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<(&'static str, bool)>,
    pub unique: Option<(&'static str, &'static str)>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(c, _)| *c == name)
    }

    /// The rows as (column -> text) lookups.
    pub fn get(&self, row: &[Value], col: &str) -> String {
        self.col(col).map(|i| row[i].text()).unwrap_or_default()
    }
}

/// Every table of one cluster.
#[derive(Debug, Clone)]
pub struct Db {
    pub tables: Vec<Table>,
}

impl Default for Db {
    fn default() -> Self {
        let mut tables: Vec<Table> = TABLES
            .iter()
            .map(|d| Table {
                name: d.name,
                columns: d.columns.to_vec(),
                unique: d.unique,
                rows: Vec::new(),
            })
            .collect();
        let catalog: Vec<Vec<Value>> = TABLES
            .iter()
            .enumerate()
            .map(|(i, d)| vec![Value::Str(d.name.into()), Value::Int(100 + i as i64)])
            .collect();
        tables
            .iter_mut()
            .find(|t| t.name == "systables")
            .expect("systables")
            .rows = catalog;
        Db { tables }
    }
}

impl Db {
    pub fn table(&self, name: &str) -> &Table {
        self.tables
            .iter()
            .find(|t| t.name == name)
            .expect("a known table")
    }

    pub fn table_mut(&mut self, name: &str) -> &mut Table {
        self.tables
            .iter_mut()
            .find(|t| t.name == name)
            .expect("a known table")
    }

    /// Appends a row given as (column, value) pairs; other columns are '' or 0.
    pub fn insert(&mut self, table: &str, values: &[(&str, Value)]) {
        let t = self.table_mut(table);
        let row = t
            .columns
            .iter()
            .map(|(c, int)| {
                values
                    .iter()
                    .find(|(n, _)| n == c)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(if *int {
                        Value::Int(0)
                    } else {
                        Value::Str(String::new())
                    })
            })
            .collect();
        t.rows.push(row);
    }
}

/// An SQL error: its Informix code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub code: i64,
    pub message: String,
}

fn err(t: Text, args: &[&str]) -> SqlError {
    SqlError {
        code: t.code,
        message: t.with(args),
    }
}

fn syntax() -> SqlError {
    err(messages::SQL_SYNTAX, &[])
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Str(String),
    Int(i64),
    Sym(char),
}

/// A token and the byte range of its text in the statement.
type Spanned = (Tok, std::ops::Range<usize>);

fn tokenize(sql: &str) -> Result<Vec<Spanned>, SqlError> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'\'' {
            let mut s = Vec::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(syntax()),
                    Some(b'\'') if b.get(i + 1) == Some(&b'\'') => {
                        s.push(b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(x) => {
                        s.push(*x);
                        i += 1;
                    }
                }
            }
            let s = String::from_utf8(s).map_err(|_| syntax())?;
            out.push((Tok::Str(s), start..i));
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let n = sql[start..i].parse().map_err(|_| syntax())?;
            out.push((Tok::Int(n), start..i));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while b
                .get(i)
                .is_some_and(|x| x.is_ascii_alphanumeric() || *x == b'_')
            {
                i += 1;
            }
            out.push((Tok::Word(sql[start..i].to_ascii_lowercase()), start..i));
        } else if b"(),=*".contains(&c) {
            i += 1;
            out.push((Tok::Sym(c as char), start..i));
        } else {
            return Err(syntax());
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Eq(String, Value),
    Like(String, String),
    In(String, Vec<Value>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    Count,
    Columns(Vec<String>),
}

/// One statement of the subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    Select {
        projection: Projection,
        table: String,
        conds: Vec<Cond>,
        order_by: Option<String>,
    },
    Insert {
        table: String,
        columns: Vec<String>,
        values: Vec<Value>,
    },
    Update {
        table: String,
        sets: Vec<(String, Value)>,
        conds: Vec<Cond>,
    },
    Delete {
        table: String,
        conds: Vec<Cond>,
    },
}

impl Statement {
    pub fn is_select(&self) -> bool {
        matches!(self, Statement::Select { .. })
    }

    pub fn table(&self) -> &str {
        match self {
            Statement::Select { table, .. }
            | Statement::Insert { table, .. }
            | Statement::Update { table, .. }
            | Statement::Delete { table, .. } => table,
        }
    }
}

struct Parser {
    toks: Vec<Spanned>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn next(&mut self) -> Result<Tok, SqlError> {
        let t = self
            .toks
            .get(self.pos)
            .map(|(t, _)| t.clone())
            .ok_or_else(syntax)?;
        self.pos += 1;
        Ok(t)
    }

    fn keyword(&mut self, k: &str) -> Result<(), SqlError> {
        match self.next()? {
            Tok::Word(w) if w == k => Ok(()),
            _ => Err(syntax()),
        }
    }

    fn is_keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w == k)
    }

    fn sym(&mut self, c: char) -> Result<(), SqlError> {
        match self.next()? {
            Tok::Sym(s) if s == c => Ok(()),
            _ => Err(syntax()),
        }
    }

    fn is_sym(&self, c: char) -> bool {
        matches!(self.peek(), Some(Tok::Sym(s)) if *s == c)
    }

    fn ident(&mut self) -> Result<String, SqlError> {
        const RESERVED: &[&str] = &[
            "select", "from", "where", "and", "order", "by", "insert", "into", "values", "update",
            "set", "delete", "like", "in",
        ];
        match self.next()? {
            Tok::Word(w) if !RESERVED.contains(&w.as_str()) => Ok(w),
            _ => Err(syntax()),
        }
    }

    fn value(&mut self) -> Result<Value, SqlError> {
        match self.next()? {
            Tok::Str(s) => Ok(Value::Str(s)),
            Tok::Int(i) => Ok(Value::Int(i)),
            _ => Err(syntax()),
        }
    }

    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, SqlError>,
    ) -> Result<Vec<T>, SqlError> {
        self.sym('(')?;
        let mut out = vec![item(self)?];
        while self.is_sym(',') {
            self.pos += 1;
            out.push(item(self)?);
        }
        self.sym(')')?;
        Ok(out)
    }

    fn conds(&mut self) -> Result<Vec<Cond>, SqlError> {
        let mut out = Vec::new();
        if !self.is_keyword("where") {
            return Ok(out);
        }
        self.pos += 1;
        loop {
            let col = self.ident()?;
            let cond = match self.next()? {
                Tok::Sym('=') => Cond::Eq(col, self.value()?),
                Tok::Word(w) if w == "like" => match self.next()? {
                    Tok::Str(p) => Cond::Like(col, p),
                    _ => return Err(syntax()),
                },
                Tok::Word(w) if w == "in" => Cond::In(col, self.list(Self::value)?),
                _ => return Err(syntax()),
            };
            out.push(cond);
            if !self.is_keyword("and") {
                return Ok(out);
            }
            self.pos += 1;
        }
    }

    fn statement(&mut self) -> Result<Statement, SqlError> {
        let st = match self.next()? {
            Tok::Word(w) if w == "select" => {
                let projection = if self.is_keyword("count") {
                    self.pos += 1;
                    self.sym('(')?;
                    self.sym('*')?;
                    self.sym(')')?;
                    Projection::Count
                } else {
                    let mut cols = vec![self.ident()?];
                    while self.is_sym(',') {
                        self.pos += 1;
                        cols.push(self.ident()?);
                    }
                    Projection::Columns(cols)
                };
                self.keyword("from")?;
                let table = self.ident()?;
                let conds = self.conds()?;
                let order_by = if self.is_keyword("order") {
                    self.pos += 1;
                    self.keyword("by")?;
                    Some(self.ident()?)
                } else {
                    None
                };
                Statement::Select {
                    projection,
                    table,
                    conds,
                    order_by,
                }
            }
            Tok::Word(w) if w == "insert" => {
                self.keyword("into")?;
                let table = self.ident()?;
                let columns = self.list(Self::ident)?;
                self.keyword("values")?;
                let values = self.list(Self::value)?;
                if columns.len() != values.len() {
                    return Err(syntax());
                }
                Statement::Insert {
                    table,
                    columns,
                    values,
                }
            }
            Tok::Word(w) if w == "update" => {
                let table = self.ident()?;
                self.keyword("set")?;
                let mut sets = Vec::new();
                loop {
                    let c = self.ident()?;
                    self.sym('=')?;
                    sets.push((c, self.value()?));
                    if !self.is_sym(',') {
                        break;
                    }
                    self.pos += 1;
                }
                let conds = self.conds()?;
                Statement::Update { table, sets, conds }
            }
            Tok::Word(w) if w == "delete" => {
                self.keyword("from")?;
                let table = self.ident()?;
                let conds = self.conds()?;
                Statement::Delete { table, conds }
            }
            _ => return Err(syntax()),
        };
        if self.pos != self.toks.len() {
            return Err(syntax());
        }
        Ok(st)
    }
}

/// Parses one statement of the subset.
pub fn parse(sql: &str) -> Result<Statement, SqlError> {
    let toks = tokenize(sql)?;
    Parser { toks, pos: 0 }.statement()
}

/// `sql` with every string literal that is a value of a column in `secret_columns` (INSERT
/// values, SET values, WHERE comparisons) replaced by `'********'`; for text that does not
/// tokenize or parse, every string literal. What the command log records.
pub fn masked(sql: &str, secret_columns: &[&str]) -> String {
    let Ok(toks) = tokenize(sql) else {
        return "<unreadable SQL>".into();
    };
    let parsed = parse(sql).ok();
    let mut secret_spans = Vec::new();
    // A literal is a secret when it belongs to a secret column: after `<col> =` / `<col> LIKE`,
    // inside `<col> IN (...)`, or at the position of a secret column in an INSERT.
    let is_secret = |c: &str| secret_columns.contains(&c);
    for (i, (t, span)) in toks.iter().enumerate() {
        if !matches!(t, Tok::Str(_)) {
            continue;
        }
        if parsed.is_none() {
            secret_spans.push(span.clone());
            continue;
        }
        let mut j = i;
        let mut owner = None;
        while j > 0 {
            j -= 1;
            match &toks[j].0 {
                Tok::Word(w) if w == "like" || w == "in" => continue,
                Tok::Sym('=') | Tok::Sym('(') | Tok::Sym(',') | Tok::Str(_) | Tok::Int(_) => {
                    continue
                }
                Tok::Word(w) => {
                    owner = Some(w.clone());
                    break;
                }
                _ => break,
            }
        }
        if owner.as_deref().is_some_and(is_secret) {
            secret_spans.push(span.clone());
        }
    }
    if let Some(Statement::Insert { columns, .. }) = &parsed {
        // The VALUES list: the k-th literal after `values`.
        if let Some(v) = toks
            .iter()
            .position(|(t, _)| *t == Tok::Word("values".into()))
        {
            let literals = toks[v..]
                .iter()
                .filter(|(t, _)| matches!(t, Tok::Str(_) | Tok::Int(_)));
            for ((t, span), c) in literals.zip(columns) {
                if matches!(t, Tok::Str(_)) && is_secret(c) {
                    secret_spans.push(span.clone());
                }
            }
        }
    }
    secret_spans.sort_by_key(|s| s.start);
    secret_spans.dedup();
    let mut out = String::new();
    let mut at = 0;
    for s in secret_spans {
        out.push_str(&sql[at..s.start]);
        out.push_str("'********'");
        at = s.end;
    }
    out.push_str(&sql[at..]);
    out
}

fn like(value: &str, pattern: &str) -> bool {
    fn m(v: &[char], p: &[char]) -> bool {
        match p.first() {
            None => v.is_empty(),
            Some('%') => (0..=v.len()).any(|k| m(&v[k..], &p[1..])),
            Some('_') => !v.is_empty() && m(&v[1..], &p[1..]),
            Some(c) => v.first() == Some(c) && m(&v[1..], &p[1..]),
        }
    }
    let v: Vec<char> = value.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    m(&v, &p)
}

fn find_table<'a>(db: &'a Db, name: &str) -> Result<&'a Table, SqlError> {
    db.tables
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| err(messages::SQL_NO_TABLE, &[name]))
}

fn column(t: &Table, c: &str) -> Result<usize, SqlError> {
    t.col(c).ok_or_else(|| err(messages::SQL_NO_COLUMN, &[c]))
}

fn matches(t: &Table, row: &[Value], conds: &[Cond]) -> Result<bool, SqlError> {
    for c in conds {
        let ok = match c {
            Cond::Eq(col, v) => row[column(t, col)?].text() == v.text(),
            Cond::Like(col, p) => like(&row[column(t, col)?].text(), p),
            Cond::In(col, vs) => {
                let x = row[column(t, col)?].text();
                vs.iter().any(|v| v.text() == x)
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A query's answer: column names (lower case) and rows of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Runs a SELECT.
pub fn query(db: &Db, st: &Statement) -> Result<Rows, SqlError> {
    let Statement::Select {
        projection,
        table,
        conds,
        order_by,
    } = st
    else {
        return Err(err(messages::SQL_WRONG_OPERATION, &[]));
    };
    let t = find_table(db, table)?;
    let mut hits = Vec::new();
    for row in &t.rows {
        if matches(t, row, conds)? {
            hits.push(row);
        }
    }
    if let Some(o) = order_by {
        let i = column(t, o)?;
        hits.sort_by(|a, b| match (&a[i], &b[i]) {
            (Value::Int(x), Value::Int(y)) => x.cmp(y),
            (x, y) => x.text().cmp(&y.text()),
        });
    }
    match projection {
        Projection::Count => Ok(Rows {
            columns: vec!["count".into()],
            rows: vec![vec![hits.len().to_string()]],
        }),
        Projection::Columns(cols) => {
            let idx = cols
                .iter()
                .map(|c| column(t, c))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Rows {
                columns: cols.clone(),
                rows: hits
                    .iter()
                    .map(|r| idx.iter().map(|i| r[*i].text()).collect())
                    .collect(),
            })
        }
    }
}

fn typed(t: &Table, i: usize, v: &Value) -> Result<Value, SqlError> {
    Ok(match (t.columns[i].1, v) {
        (true, Value::Int(_)) => v.clone(),
        (true, Value::Str(s)) => Value::Int(s.trim().parse().map_err(|_| syntax())?),
        (false, v) => Value::Str(v.text()),
    })
}

fn check_row(t: &Table, row: &[Value], skip: Option<usize>) -> Result<(), SqlError> {
    if let Some((index, col)) = t.unique {
        let i = t.col(col).expect("unique column");
        if t.rows
            .iter()
            .enumerate()
            .any(|(k, r)| Some(k) != skip && r[i] == row[i])
        {
            return Err(err(messages::SQL_DUPLICATE, &[index]));
        }
    }
    if t.name == "cupsinterclusterpeers" {
        let p = row[t.col("protocol").expect("protocol")].text();
        if p != "tcp" && p != "tls" {
            return Err(err(messages::SQL_CHECK, &[messages::PROTOCOL_CHECK]));
        }
    }
    Ok(())
}

/// Runs an INSERT, UPDATE or DELETE; the number of rows changed.
pub fn update(db: &mut Db, st: &Statement) -> Result<usize, SqlError> {
    match st {
        Statement::Select { .. } => Err(err(messages::SQL_WRONG_OPERATION, &[])),
        Statement::Insert {
            table,
            columns,
            values,
        } => {
            find_table(db, table)?;
            let t = db.table_mut(table);
            let mut row: Vec<Option<Value>> = vec![None; t.columns.len()];
            for (c, v) in columns.iter().zip(values) {
                let i = column(t, c)?;
                row[i] = Some(typed(t, i, v)?);
            }
            let row: Vec<Value> = row
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    v.unwrap_or_else(|| match t.columns[i] {
                        ("pkid", _) => Value::Str(new_pkid()),
                        (_, true) => Value::Int(0),
                        _ => Value::Str(String::new()),
                    })
                })
                .collect();
            check_row(t, &row, None)?;
            t.rows.push(row);
            Ok(1)
        }
        Statement::Update { table, sets, conds } => {
            find_table(db, table)?;
            let t = db.table_mut(table);
            let sets = sets
                .iter()
                .map(|(c, v)| {
                    let i = column(t, c)?;
                    Ok((i, typed(t, i, v)?))
                })
                .collect::<Result<Vec<_>, SqlError>>()?;
            let mut hit = Vec::new();
            for (k, row) in t.rows.iter().enumerate() {
                if matches(t, row, conds)? {
                    hit.push(k);
                }
            }
            for &k in &hit {
                let mut row = t.rows[k].clone();
                for (i, v) in &sets {
                    row[*i] = v.clone();
                }
                check_row(t, &row, Some(k))?;
                t.rows[k] = row;
            }
            Ok(hit.len())
        }
        Statement::Delete { table, conds } => {
            find_table(db, table)?;
            let t = db.table_mut(table);
            let mut keep = Vec::new();
            let mut gone = 0;
            for row in std::mem::take(&mut t.rows) {
                // Conditions were checked against this table's columns before any removal.
                if matches(t, &row, conds)? {
                    gone += 1;
                } else {
                    keep.push(row);
                }
            }
            t.rows = keep;
            Ok(gone)
        }
    }
}

/// A new pkid: a lower-case UUID without braces [AXLDG].
pub fn new_pkid() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Db {
        let mut db = Db::default();
        db.insert(
            "processnode",
            &[
                ("pkid", Value::Str("p1".into())),
                ("name", Value::Str("imp1-pub.lab.example".into())),
                ("systemnode", Value::Str("f".into())),
                ("tknodeusage", Value::Int(0)),
            ],
        );
        db.insert(
            "processnode",
            &[
                ("name", Value::Str("EnterpriseWideData".into())),
                ("systemnode", Value::Str("t".into())),
                ("tknodeusage", Value::Int(1)),
            ],
        );
        db
    }

    fn q(db: &Db, sql: &str) -> Result<Rows, SqlError> {
        query(db, &parse(sql)?)
    }

    #[test]
    fn the_subset_selects_counts_and_filters() {
        let db = db();
        let r = q(
            &db,
            "SELECT count(*) from processnode WHERE systemnode='f' and tknodeusage= 0",
        )
        .unwrap();
        assert_eq!(r.columns, ["count"]);
        assert_eq!(r.rows, [["1"]]);
        let r = q(
            &db,
            "select NAME from processnode where systemnode = 'f' AND tknodeusage = 0",
        )
        .unwrap();
        assert_eq!(r.rows, [["imp1-pub.lab.example"]]);
        let r = q(
            &db,
            "SELECT name FROM processnode WHERE name LIKE 'imp_-%' ORDER BY name",
        )
        .unwrap();
        assert_eq!(r.rows.len(), 1);
        let r = q(
            &db,
            "SELECT name, tknodeusage FROM processnode WHERE systemnode IN ('t', 'x')",
        )
        .unwrap();
        assert_eq!(r.rows, [["EnterpriseWideData", "1"]]);
        let r = q(
            &db,
            "SELECT tabname FROM systables WHERE tabname LIKE '%peer%'",
        )
        .unwrap();
        assert_eq!(r.rows, [["cupsinterclusterpeers"]]);
    }

    #[test]
    fn errors_carry_informix_codes() {
        let db = db();
        assert_eq!(q(&db, "SELECT * FROM processnode").unwrap_err().code, -201);
        assert_eq!(
            q(&db, "SELECT name FROM processnode;").unwrap_err().code,
            -201
        );
        assert_eq!(
            q(&db, "SELECT name FROM nosuch").unwrap_err().message,
            "The specified table (nosuch) is not in the database."
        );
        assert_eq!(
            q(&db, "SELECT bogus FROM processnode").unwrap_err().code,
            -217
        );
        assert_eq!(
            q(
                &db,
                "SELECT name FROM processnode WHERE name = 'unterminated"
            )
            .unwrap_err()
            .code,
            -201
        );
        assert_eq!(
            q(&db, "SELECT name FROM processnode WHERE name > 'a'")
                .unwrap_err()
                .code,
            -201
        );
    }

    #[test]
    fn writes_quote_default_pkids_and_refuse_duplicates() {
        let mut db = db();
        let ins = "INSERT INTO cupsinterclusterpeers (peeraddress, axlusername, axlpassword, protocol) VALUES ('imp2-pub.lab.example', 'imp2-icsa', 'it''s \"x\"', 'tcp')";
        assert_eq!(update(&mut db, &parse(ins).unwrap()), Ok(1));
        let e = update(&mut db, &parse(ins).unwrap()).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (-239, "Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:cupsinterclusterpeers_peeraddress)."));
        let r = q(&db, "SELECT pkid, axlpassword FROM cupsinterclusterpeers").unwrap();
        assert_eq!(r.rows[0][1], "it's \"x\"");
        assert_eq!(r.rows[0][0].len(), 36);
        assert_eq!(r.rows[0][0], r.rows[0][0].to_lowercase());
        let up = "UPDATE cupsinterclusterpeers SET protocol = 'tls', axlusername = 'u' WHERE peeraddress = 'imp2-pub.lab.example'";
        assert_eq!(update(&mut db, &parse(up).unwrap()), Ok(1));
        let bad = "UPDATE cupsinterclusterpeers SET protocol = 'udp'";
        assert_eq!(
            update(&mut db, &parse(bad).unwrap()).unwrap_err().code,
            -530
        );
        assert_eq!(
            update(
                &mut db,
                &parse("DELETE FROM cupsinterclusterpeers WHERE peeraddress = 'x'").unwrap()
            ),
            Ok(0)
        );
        assert_eq!(
            update(
                &mut db,
                &parse("DELETE FROM cupsinterclusterpeers").unwrap()
            ),
            Ok(1)
        );
        assert_eq!(
            update(&mut db, &parse("SELECT name FROM processnode").unwrap())
                .unwrap_err()
                .code,
            -201
        );
    }

    #[test]
    fn the_log_masks_secret_columns() {
        let s = ["axlpassword"];
        assert_eq!(
            masked(
                "INSERT INTO cupsinterclusterpeers (peeraddress, axlpassword) VALUES ('a', 'p''w')",
                &s
            ),
            "INSERT INTO cupsinterclusterpeers (peeraddress, axlpassword) VALUES ('a', '********')"
        );
        assert_eq!(
            masked("UPDATE cupsinterclusterpeers SET axlpassword = 'x', protocol = 'tls' WHERE axlpassword IN ('y')", &s),
            "UPDATE cupsinterclusterpeers SET axlpassword = '********', protocol = 'tls' WHERE axlpassword IN ('********')"
        );
        assert_eq!(masked("SELECT bad 'x", &s), "<unreadable SQL>");
        assert_eq!(masked("garbage 'x' here", &s), "garbage '********' here");
        assert!(like("imp1-pub", "imp_-%") && !like("imp1", "imp"));
    }
}
