//! One declaration per attribute. A resource lists its attributes once, in a const table: type,
//! description, presence (required, optional, computed, or defaulted with the default), whether
//! it is sensitive or forces a replacement, and the grammar its value must follow. From that one
//! table come the Terraform schema (and so the docs), the plan-time check of every attribute at
//! its own path, the defaults of attributes the configuration leaves unset, the replacement
//! paths and the secrets to mask.
//!
//! Why tables walked over a serde image rather than a derive macro or typed accessors: the typed
//! state structs stay as they are (tf-provider needs them), a table is plain data that reads like
//! the schema it replaces, and the walk over [`ValueAny`] needs no per-field code and no second
//! crate. A unit test per resource checks that the table names exactly the struct's fields.

use crate::resources::image::{field, fields_mut, from_image, image, meets};
use crate::timeouts::{timeouts_block, Operation};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};
use tf_provider::value::ValueAny;
use tf_provider::{AttributePath, Diagnostics};

use crate::grammar::NumberRange;

#[derive(Clone, Copy, Debug)]
pub enum Type {
    Text,
    Number,
    Bool,
    TextList,
    TextSet,
    /// A map of text by key (computed reports: a state per node and service).
    TextMap,
}

/// A default the plan shows when the configuration leaves the attribute unset.
#[derive(Clone, Copy, Debug)]
pub enum DefaultValue {
    Text(&'static str),
    Number(i64),
    Bool(bool),
    TextList(&'static [&'static str]),
    /// Computed by the resource when unset (from other attributes, e.g. `auto_increment_offset`
    /// from `server_id`, or by the device, e.g. a generated secret): cleared for it to fill in.
    ByResource,
}

#[derive(Clone, Copy, Debug)]
pub enum Presence {
    Required,
    Optional,
    Computed,
    /// Optional; when unset, the plan shows the default.
    Defaulted(DefaultValue),
}

/// The grammar a configured value must follow; a failure is reported at the attribute's path
/// (each element of a list at its index).
#[derive(Clone, Copy)]
pub enum Check {
    None,
    /// A text (or each text of a list), with the title of its error.
    Text {
        title: &'static str,
        check: fn(&str) -> Result<(), String>,
    },
    Number(&'static NumberRange),
    Port,
}

/// A text check reported as "Invalid value".
pub const fn text(check: fn(&str) -> Result<(), String>) -> Check {
    Check::Text {
        title: "Invalid value",
        check,
    }
}

#[derive(Clone, Copy)]
pub struct Attr {
    pub name: &'static str,
    pub kind: Type,
    pub presence: Presence,
    pub description: &'static str,
    pub sensitive: bool,
    /// Changing it replaces the object.
    pub replace: bool,
    pub check: Check,
}

/// Table rows read as `attr("name", Type::Text, Presence::Required, "…").replaces()`.
pub const fn attr(
    name: &'static str,
    kind: Type,
    presence: Presence,
    description: &'static str,
) -> Attr {
    Attr {
        name,
        kind,
        presence,
        description,
        sensitive: false,
        replace: false,
        check: Check::None,
    }
}

impl Attr {
    pub const fn sensitive(self) -> Attr {
        Attr {
            sensitive: true,
            ..self
        }
    }

    pub const fn replaces(self) -> Attr {
        Attr {
            replace: true,
            ..self
        }
    }

    pub const fn check(self, check: Check) -> Attr {
        Attr { check, ..self }
    }
}

/// Rows shared with another declaration followed by this one's own, as one table (the
/// `lb_virtual_server` member is `lb_config`'s member plus what the balancer reports).
/// `N` must be the sum of the lengths; a wrong `N` fails the build.
pub const fn rows<const N: usize>(shared: &[Attr], own: &[Attr]) -> [Attr; N] {
    assert!(shared.len() + own.len() == N, "N is not the number of rows");
    let mut out = [match shared.is_empty() {
        true => own[0],
        false => shared[0],
    }; N];
    let mut i = 0;
    while i < N {
        out[i] = match i < shared.len() {
            true => shared[i],
            false => own[i - shared.len()],
        };
        i += 1;
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// Exactly one block (a map in state, `name.attr` in paths).
    Single,
    /// At most one block (a list of 0 or 1, `name[0].attr` in paths).
    Optional,
    /// Any number of blocks, in order (`name[i].attr` in paths).
    List,
}

pub struct BlockSpec {
    pub name: &'static str,
    pub nesting: Nesting,
    pub description: &'static str,
    pub attrs: &'static [Attr],
    /// Blocks inside this block (a virtual server's members).
    pub blocks: &'static [BlockSpec],
}

/// A resource's declared attributes and blocks, and the defaults of its `timeouts` block.
pub struct Spec {
    pub description: &'static str,
    pub attrs: &'static [Attr],
    pub blocks: &'static [BlockSpec],
    pub timeouts: &'static [(Operation, Duration)],
}

fn attribute_type(kind: Type) -> AttributeType {
    match kind {
        Type::Text => AttributeType::String,
        Type::Number => AttributeType::Number,
        Type::Bool => AttributeType::Bool,
        Type::TextList => AttributeType::List(Box::new(AttributeType::String)),
        Type::TextSet => AttributeType::Set(Box::new(AttributeType::String)),
        Type::TextMap => AttributeType::Map(Box::new(AttributeType::String)),
    }
}

fn attributes(attrs: &[Attr]) -> HashMap<String, Attribute> {
    attrs
        .iter()
        .map(|a| {
            let constraint = match a.presence {
                Presence::Required => AttributeConstraint::Required,
                Presence::Optional => AttributeConstraint::Optional,
                Presence::Computed => AttributeConstraint::Computed,
                Presence::Defaulted(_) => AttributeConstraint::OptionalComputed,
            };
            let attribute = Attribute {
                attr_type: attribute_type(a.kind),
                description: Description::markdown(a.description),
                constraint,
                sensitive: a.sensitive,
                deprecated: false,
            };
            (a.name.to_string(), attribute)
        })
        .collect()
}

fn block(description: &str, attrs: &[Attr], blocks: &[BlockSpec]) -> Block {
    Block {
        attributes: attributes(attrs),
        blocks: blocks
            .iter()
            .map(|b| {
                let inner = block(b.description, b.attrs, b.blocks);
                let nested = match b.nesting {
                    Nesting::Single => NestedBlock::Single(inner),
                    Nesting::Optional => NestedBlock::Optional(inner),
                    Nesting::List => NestedBlock::List(inner),
                };
                (b.name.to_string(), nested)
            })
            .collect(),
        description: Description::markdown(description),
        ..Default::default()
    }
}

impl Spec {
    /// The schema: the table's attributes and blocks, and `timeouts` when it has time limits.
    pub fn schema(&self) -> Schema {
        // A declaration without operation time limits (a data source's) has no `timeouts` block.
        let timeouts = match self.timeouts.is_empty() {
            true => vec![],
            false => vec![("timeouts", timeouts_block(self.timeouts))],
        };
        Schema {
            version: 1,
            block: self.schema_block(timeouts),
        }
    }

    /// The schema's top block, with `extra` blocks the table does not hold.
    fn schema_block(&self, extra: Vec<(&str, NestedBlock)>) -> Block {
        let mut top = block(self.description, self.attrs, self.blocks);
        top.blocks
            .extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        top
    }

    /// Each configured attribute against its grammar, reported at its path.
    pub fn check<S: Serialize>(&self, config: &S, diags: &mut Diagnostics) {
        walk(
            self.attrs,
            self.blocks,
            &image(config),
            &AttributePath::root(),
            &mut |attrs, values, path| check_attrs(attrs, values, path, diags),
        );
    }

    /// `proposed` with every defaulted attribute that `config` leaves unset back at its default
    /// (Terraform proposes the prior value instead), and [`DefaultValue::ByResource`] ones
    /// cleared for the resource to compute.
    pub fn with_unset_defaults<S: Serialize + DeserializeOwned, C: Serialize>(
        &self,
        proposed: S,
        config: &C,
    ) -> Result<S, String> {
        let mut planned = image(&proposed);
        reset_level(self.attrs, self.blocks, &mut planned, &image(config));
        from_image(planned)
    }

    /// `state` with every null defaulted attribute at its default.
    pub fn with_defaults<S: Serialize + DeserializeOwned>(&self, state: S) -> Result<S, String> {
        let mut image = image(&state);
        fill_level(self.attrs, self.blocks, &mut image);
        from_image(image)
    }

    /// The paths of replacing attributes whose value changes from `prior` to `planned`.
    pub fn replaced_paths<S: Serialize>(&self, prior: &S, planned: &S) -> Vec<AttributePath> {
        let (prior, planned) = (image(prior), image(planned));
        self.attrs
            .iter()
            .filter(|a| a.replace && field(&prior, a.name) != field(&planned, a.name))
            .map(|a| AttributePath::new(a.name))
            .collect()
    }

    /// Register every sensitive value of `state` with the secret registry.
    pub fn register_secrets<S: Serialize>(&self, state: &S) {
        walk(
            self.attrs,
            self.blocks,
            &image(state),
            &AttributePath::root(),
            &mut |attrs, values, _| register(attrs, values),
        );
    }

    /// The promises of `planned` that `observed` does not keep: every known planned value
    /// must be what the devices report after an apply (Terraform's own rule, checked here so
    /// the error names the attribute and both values, secrets masked).
    pub fn unmet<S: Serialize>(&self, planned: &S, observed: &S) -> Vec<Unmet> {
        let mut out = Vec::new();
        unmet_level(
            self.attrs,
            self.blocks,
            &image(planned),
            &image(observed),
            &AttributePath::root(),
            &mut out,
        );
        out
    }

    /// Every attribute and block name the table declares, for the test against the state struct.
    #[cfg(test)]
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.attrs.iter().map(|a| a.name).collect();
        names.extend(self.blocks.iter().map(|b| b.name));
        names
    }
}

/// A value the plan promised that the devices do not report after an apply.
#[derive(Debug)]
pub struct Unmet {
    pub path: AttributePath,
    pub planned: String,
    pub observed: String,
}

/// `visit(attrs, values, path)` at the top level and in every configured block, depth first.
fn walk(
    attrs: &[Attr],
    blocks: &[BlockSpec],
    values: &ValueAny,
    path: &AttributePath,
    visit: &mut dyn FnMut(&[Attr], &ValueAny, &AttributePath),
) {
    visit(attrs, values, path);
    for b in blocks {
        for (i, inner) in blocks_ref(values, b).into_iter().enumerate() {
            walk(b.attrs, b.blocks, inner, &block_path(path, b, i), visit);
        }
    }
}

fn reset_level(attrs: &[Attr], blocks: &[BlockSpec], planned: &mut ValueAny, config: &ValueAny) {
    reset_unset(attrs, planned, config);
    for b in blocks {
        // Blocks pair up by position, as Terraform's plan shows them.
        for (p, c) in blocks_mut(planned, b)
            .into_iter()
            .zip(blocks_ref(config, b))
        {
            reset_level(b.attrs, b.blocks, p, c);
        }
    }
}

fn fill_level(attrs: &[Attr], blocks: &[BlockSpec], values: &mut ValueAny) {
    fill_defaults(attrs, values);
    for b in blocks {
        for inner in blocks_mut(values, b) {
            fill_level(b.attrs, b.blocks, inner);
        }
    }
}

fn unmet_level(
    attrs: &[Attr],
    blocks: &[BlockSpec],
    planned: &ValueAny,
    observed: &ValueAny,
    base: &AttributePath,
    out: &mut Vec<Unmet>,
) {
    unmet_attrs(attrs, planned, observed, base, out);
    for b in blocks {
        if matches!(field(planned, b.name), ValueAny::Unknown) {
            continue;
        }
        let (p, o) = (blocks_ref(planned, b), blocks_ref(observed, b));
        if p.len() != o.len() {
            out.push(Unmet {
                path: base.clone().attribute(b.name),
                planned: format!("{} block(s)", p.len()),
                observed: format!("{} block(s)", o.len()),
            });
            continue;
        }
        for (i, (p, o)) in p.into_iter().zip(o).enumerate() {
            unmet_level(b.attrs, b.blocks, p, o, &block_path(base, b, i), out);
        }
    }
}

fn unmet_attrs(
    attrs: &[Attr],
    planned: &ValueAny,
    observed: &ValueAny,
    base: &AttributePath,
    out: &mut Vec<Unmet>,
) {
    for a in attrs {
        let (p, o) = (field(planned, a.name), field(observed, a.name));
        if !meets(p, o, matches!(a.kind, Type::TextSet)) {
            let show = |v: &ValueAny| match a.sensitive {
                true => "(sensitive value)".to_string(),
                false => v.json(),
            };
            out.push(Unmet {
                path: base.clone().attribute(a.name),
                planned: show(p),
                observed: show(o),
            });
        }
    }
}

/// A block's path under `base`: `name` for a single block, `name[i]` for one of a list.
fn block_path(base: &AttributePath, b: &BlockSpec, i: usize) -> AttributePath {
    match b.nesting {
        Nesting::Single => base.clone().attribute(b.name),
        _ => base.clone().attribute(b.name).index(i as i64),
    }
}

/// The values of each block `b` in `image`: the map itself (single) or the list's elements.
fn blocks_ref<'v>(image: &'v ValueAny, b: &BlockSpec) -> Vec<&'v ValueAny> {
    match (b.nesting, field(image, b.name)) {
        (Nesting::Single, v @ ValueAny::Map(_)) => vec![v],
        (Nesting::Optional | Nesting::List, ValueAny::List(l)) => l.iter().collect(),
        _ => vec![],
    }
}

fn blocks_mut<'v>(image: &'v mut ValueAny, b: &BlockSpec) -> Vec<&'v mut ValueAny> {
    let Some(value) = fields_mut(image).and_then(|f| f.get_mut(b.name)) else {
        return vec![];
    };
    match (b.nesting, value) {
        (Nesting::Single, v @ ValueAny::Map(_)) => vec![v],
        (Nesting::Optional | Nesting::List, ValueAny::List(l)) => l.iter_mut().collect(),
        _ => vec![],
    }
}

fn default_value(default: DefaultValue) -> ValueAny {
    match default {
        DefaultValue::Text(t) => ValueAny::String(t.to_string()),
        DefaultValue::Number(n) => ValueAny::Number(n),
        DefaultValue::Bool(b) => ValueAny::Bool(b),
        DefaultValue::TextList(l) => {
            ValueAny::List(l.iter().map(|t| ValueAny::String(t.to_string())).collect())
        }
        DefaultValue::ByResource => ValueAny::Null,
    }
}

fn reset_unset(attrs: &[Attr], planned: &mut ValueAny, config: &ValueAny) {
    let Some(fields) = fields_mut(planned) else {
        return;
    };
    for a in attrs {
        if let Presence::Defaulted(default) = a.presence {
            if matches!(field(config, a.name), ValueAny::Null) {
                fields.insert(a.name.to_string(), default_value(default));
            }
        }
    }
}

fn fill_defaults(attrs: &[Attr], image: &mut ValueAny) {
    let Some(fields) = fields_mut(image) else {
        return;
    };
    for a in attrs {
        if let Presence::Defaulted(default) = a.presence {
            let value = fields.entry(a.name.to_string()).or_default();
            if matches!(value, ValueAny::Null) {
                *value = default_value(default);
            }
        }
    }
}

fn check_attrs(attrs: &[Attr], values: &ValueAny, base: &AttributePath, diags: &mut Diagnostics) {
    for a in attrs {
        let at = base.clone().attribute(a.name);
        match (a.check, field(values, a.name)) {
            (Check::None, _) => {}
            (Check::Text { title, check }, ValueAny::String(s)) => {
                if let Err(e) = check(s) {
                    diags.error(title, e, at);
                }
            }
            (Check::Text { title, check }, ValueAny::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let ValueAny::String(s) = item else { continue };
                    if let Err(e) = check(s) {
                        // A set's elements have no index to report.
                        let path = match a.kind {
                            Type::TextSet => at.clone(),
                            _ => at.clone().index(i as i64),
                        };
                        diags.error(title, e, path);
                    }
                }
            }
            (Check::Number(range), ValueAny::Number(n)) => {
                if let Err(e) = range.check(*n) {
                    diags.error("Value out of range", format!("{}: {e}", a.name), at);
                }
            }
            (Check::Port, ValueAny::Number(n)) => {
                if let Err(e) = crate::grammar::check_port(*n) {
                    diags.error("Invalid port", e, at);
                }
            }
            _ => {}
        }
    }
}

fn register(attrs: &[Attr], values: &ValueAny) {
    for a in attrs.iter().filter(|a| a.sensitive) {
        if let ValueAny::String(s) = field(values, a.name) {
            crate::secrets::register(s);
        }
    }
}

/// Test helper: `attrs` (plus `extra`, e.g. `timeouts`) name exactly the serde fields of `state`.
#[cfg(test)]
pub fn assert_declares<S: Serialize>(attrs: &[&str], extra: &[&str], state: &S) {
    let mut declared: Vec<String> = attrs.iter().chain(extra).map(|n| n.to_string()).collect();
    declared.sort();
    let mut fields: Vec<String> = serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default();
    fields.sort();
    assert_eq!(declared, fields);
}

/// The names of a table's attributes.
#[cfg(test)]
pub fn names_of(attrs: &[Attr]) -> Vec<&'static str> {
    attrs.iter().map(|a| a.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use tf_provider::value::{self, Value, ValueList, ValueNumber, ValueString};

    fn even(s: &str) -> Result<(), String> {
        match s.len() % 2 {
            0 => Ok(()),
            _ => Err(format!("{s:?} has an odd length")),
        }
    }

    const RANGE: NumberRange = NumberRange {
        option: "count",
        min: 1,
        max: 9,
    };
    const INNER: &[Attr] = &[
        attr(
            "path",
            Type::Text,
            Presence::Defaulted(DefaultValue::Text("/x")),
            "p",
        )
        .check(text(even)),
        attr("secret", Type::Text, Presence::Optional, "s").sensitive(),
    ];
    const SPEC: Spec = Spec {
        description: "d",
        attrs: &[
            attr("name", Type::Text, Presence::Required, "n")
                .replaces()
                .check(text(even)),
            attr(
                "count",
                Type::Number,
                Presence::Defaulted(DefaultValue::Number(3)),
                "c",
            )
            .check(Check::Number(&RANGE)),
            attr(
                "items",
                Type::TextList,
                Presence::Defaulted(DefaultValue::TextList(&["ab"])),
                "i",
            )
            .check(text(even)),
            attr(
                "derived",
                Type::Number,
                Presence::Defaulted(DefaultValue::ByResource),
                "f",
            ),
            attr("status", Type::Text, Presence::Computed, "s"),
        ],
        blocks: &[BlockSpec {
            name: "inner",
            nesting: Nesting::Optional,
            blocks: &[],
            description: "b",
            attrs: INNER,
        }],
        timeouts: &[],
    };

    #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
    struct Inner<'a> {
        path: ValueString<'a>,
        secret: ValueString<'a>,
    }

    #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
    struct State<'a> {
        name: ValueString<'a>,
        count: ValueNumber,
        items: ValueList<ValueString<'a>>,
        derived: ValueNumber,
        status: ValueString<'a>,
        #[serde(with = "value::serde_as_vec")]
        inner: Value<Inner<'a>>,
    }

    fn s(v: &str) -> ValueString<'static> {
        Value::Value(v.to_string().into())
    }

    #[test]
    fn schema_comes_from_the_table() {
        let block = SPEC.schema_block(vec![]);
        let constraint = |n: &str| block.attributes[n].constraint.clone();
        assert!(matches!(constraint("name"), AttributeConstraint::Required));
        assert!(matches!(
            constraint("count"),
            AttributeConstraint::OptionalComputed
        ));
        assert!(matches!(
            constraint("status"),
            AttributeConstraint::Computed
        ));
        assert!(matches!(block.blocks["inner"], NestedBlock::Optional(_)));
        let NestedBlock::Optional(inner) = &block.blocks["inner"] else {
            return;
        };
        assert!(inner.attributes["secret"].sensitive);
    }

    #[test]
    fn defaults_fill_nulls_and_keep_values_and_unknowns() {
        let state = State {
            name: s("ab"),
            count: Value::Unknown,
            status: Value::Unknown,
            inner: Value::Value(Inner::default()),
            ..Default::default()
        };
        let filled = SPEC.with_defaults(state).unwrap();
        assert_eq!(filled.count, Value::Unknown);
        assert_eq!(filled.status, Value::Unknown);
        assert_eq!(filled.items, Value::Value(vec![s("ab")]));
        assert_eq!(filled.derived, Value::Null);
        assert_eq!(
            filled.inner.as_ref_option().map(|i| i.path.clone()),
            Some(s("/x"))
        );
    }

    #[test]
    fn an_attribute_removed_from_the_configuration_goes_back_to_its_default() {
        let prior = State {
            name: s("ab"),
            count: Value::Value(7),
            derived: Value::Value(5),
            inner: Value::Value(Inner {
                path: s("/old"),
                ..Default::default()
            }),
            ..Default::default()
        };
        let config = State {
            name: s("ab"),
            inner: Value::Value(Inner::default()),
            ..Default::default()
        };
        let planned = SPEC.with_unset_defaults(prior.clone(), &config).unwrap();
        assert_eq!(planned.count, Value::Value(3));
        assert_eq!(planned.derived, Value::Null);
        assert_eq!(
            planned.inner.as_ref_option().map(|i| i.path.clone()),
            Some(s("/x"))
        );
        let configured = State {
            count: Value::Value(7),
            ..config
        };
        let kept = SPEC.with_unset_defaults(prior, &configured).unwrap();
        assert_eq!(kept.count, Value::Value(7));
    }

    #[test]
    fn checks_report_each_value_at_its_path() {
        let config = State {
            name: s("abc"),
            count: Value::Value(10),
            items: Value::Value(vec![s("ab"), s("odd")]),
            inner: Value::Value(Inner {
                path: s("/xy"),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut diags = Diagnostics::default();
        SPEC.check(&config, &mut diags);
        let paths: Vec<String> = diags
            .errors
            .iter()
            .map(|d| format!("{:?}", d.attribute))
            .collect();
        assert_eq!(diags.errors.len(), 4, "{paths:?}");
        let expected = [
            AttributePath::new("name"),
            AttributePath::new("count"),
            AttributePath::new("items").index(1),
            AttributePath::new("inner").index(0).attribute("path"),
        ];
        for path in expected {
            assert!(
                paths.contains(&format!("{path:?}")),
                "{path:?} not in {paths:?}"
            );
        }
        let mut clean = Diagnostics::default();
        SPEC.check(
            &State {
                name: s("ab"),
                ..Default::default()
            },
            &mut clean,
        );
        assert!(clean.errors.is_empty());
    }

    #[test]
    fn replacing_attributes_and_secrets() {
        let a = State {
            name: s("ab"),
            count: Value::Value(1),
            ..Default::default()
        };
        let b = State {
            name: s("cd"),
            count: Value::Value(2),
            ..Default::default()
        };
        let paths = SPEC.replaced_paths(&a, &b);
        assert_eq!(
            format!("{paths:?}"),
            format!("{:?}", vec![AttributePath::new("name")])
        );
        assert!(SPEC.replaced_paths(&a, &a).is_empty());
        let marker = "spec-test-secret-Zq81";
        SPEC.register_secrets(&State {
            inner: Value::Value(Inner {
                secret: s(marker),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert!(!crate::secrets::mask(&format!("x {marker} y")).contains(marker));
    }
}

#[cfg(test)]
mod nested_tests {
    //! Blocks inside blocks: every walk reaches them, at their full path.
    use super::*;
    use serde::Deserialize;
    use tf_provider::value::{Value, ValueList, ValueString};

    fn even(s: &str) -> Result<(), String> {
        match s.len() % 2 {
            0 => Ok(()),
            _ => Err(format!("{s:?} has an odd length")),
        }
    }

    const SPEC: Spec = Spec {
        description: "d",
        attrs: &[],
        blocks: &[BlockSpec {
            name: "outer",
            nesting: Nesting::List,
            description: "o",
            attrs: &[],
            blocks: &[BlockSpec {
                name: "inner",
                nesting: Nesting::List,
                description: "i",
                attrs: &[
                    attr(
                        "word",
                        Type::Text,
                        Presence::Defaulted(DefaultValue::Text("ab")),
                        "w",
                    )
                    .check(text(even)),
                    attr("secret", Type::Text, Presence::Optional, "s").sensitive(),
                ],
                blocks: &[],
            }],
        }],
        timeouts: &[],
    };

    #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
    struct Inner<'a> {
        word: ValueString<'a>,
        secret: ValueString<'a>,
    }

    #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
    struct Outer<'a> {
        inner: ValueList<Value<Inner<'a>>>,
    }

    #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
    struct State<'a> {
        outer: ValueList<Value<Outer<'a>>>,
    }

    fn state(words: &[Option<&str>]) -> State<'static> {
        let inner = words
            .iter()
            .map(|w| {
                Value::Value(Inner {
                    word: w
                        .map(|w| Value::Value(w.to_string().into()))
                        .unwrap_or_default(),
                    secret: Value::Value("nested-s3cret".into()),
                })
            })
            .collect();
        State {
            outer: Value::Value(vec![
                Value::Value(Outer::default()),
                Value::Value(Outer {
                    inner: Value::Value(inner),
                }),
            ]),
        }
    }

    #[test]
    fn the_schema_nests_checks_and_defaults_reach_inner_blocks() {
        let schema = SPEC.schema();
        let NestedBlock::List(outer) = &schema.block.blocks["outer"] else {
            panic!("outer is a list block")
        };
        assert!(outer.blocks.contains_key("inner"));
        let mut diags = Diagnostics::default();
        SPEC.check(&state(&[Some("ab"), Some("abc")]), &mut diags);
        assert_eq!(diags.errors.len(), 1);
        let at = format!("{:?}", diags.errors[0]);
        assert!(
            at.contains("outer") && at.contains("inner") && at.contains("word"),
            "{at}"
        );
        let filled = SPEC.with_defaults(state(&[None])).unwrap();
        assert_eq!(filled, state(&[Some("ab")]));
        SPEC.register_secrets(&state(&[None]));
        assert!(!crate::secrets::mask("nested-s3cret").contains("nested-s3cret"));
        let unmet = SPEC.unmet(&state(&[Some("ab")]), &state(&[Some("cd")]));
        assert_eq!(unmet.len(), 1);
        assert_eq!(
            unmet[0].path.to_string(),
            AttributePath::new("outer")
                .index(1)
                .attribute("inner")
                .index(0)
                .attribute("word")
                .to_string()
        );
    }
}
