//! The serde image of a typed state: the same state as a tree of [`ValueAny`], in tf-provider's
//! own wire format (MessagePack), where unknown values survive the round trip. The attribute
//! declarations ([`crate::resources::spec`]) and the house rules ([`crate::resources::adapter`])
//! walk it, so no rule needs code per field.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use tf_provider::value::ValueAny;

pub fn image<S: Serialize>(state: &S) -> ValueAny {
    rmp_serde::to_vec_named(state)
        .ok()
        .and_then(|bytes| rmp_serde::from_slice(&bytes).ok())
        .unwrap_or_default()
}

pub fn from_image<S: DeserializeOwned>(image: ValueAny) -> Result<S, String> {
    let bytes = rmp_serde::to_vec_named(&image).map_err(|e| e.to_string())?;
    rmp_serde::from_slice(&bytes).map_err(|e| format!("internal: state does not fit its type: {e}"))
}

/// A map's field (null when absent or not a map).
pub fn field<'v>(image: &'v ValueAny, name: &str) -> &'v ValueAny {
    match image {
        ValueAny::Map(m) => m.get(name).unwrap_or(&ValueAny::Null),
        _ => &ValueAny::Null,
    }
}

pub fn fields_mut(image: &mut ValueAny) -> Option<&mut BTreeMap<String, ValueAny>> {
    match image {
        ValueAny::Map(m) => Some(m),
        _ => None,
    }
}

/// Every unknown value, at any depth, made null: Terraform rejects unknown values in a state
/// that a read, an apply or an import returns.
pub fn without_unknowns<S: Serialize + DeserializeOwned + Clone>(state: &S) -> S {
    fn clear(value: &mut ValueAny) {
        match value {
            ValueAny::Unknown => *value = ValueAny::Null,
            ValueAny::List(items) => items.iter_mut().for_each(clear),
            ValueAny::Map(fields) => fields.values_mut().for_each(clear),
            _ => {}
        }
    }
    let mut tree = image(state);
    clear(&mut tree);
    from_image(tree).unwrap_or_else(|_| state.clone())
}

/// Whether a value the plan promised is what was observed: an unknown promise is met by
/// anything, a list element by element, a set in any order.
pub fn meets(planned: &ValueAny, observed: &ValueAny, unordered: bool) -> bool {
    match (planned, observed) {
        (ValueAny::Unknown, _) => true,
        (ValueAny::List(p), ValueAny::List(o)) if unordered => {
            let (mut p, mut o) = (p.clone(), o.clone());
            let key = |v: &ValueAny| v.json();
            p.sort_by_key(key);
            o.sort_by_key(key);
            p == o
        }
        (ValueAny::List(p), ValueAny::List(o)) => {
            p.len() == o.len() && p.iter().zip(o).all(|(p, o)| meets(p, o, false))
        }
        (ValueAny::Map(p), ValueAny::Map(o)) => p
            .iter()
            .all(|(k, p)| meets(p, o.get(k).unwrap_or(&ValueAny::Null), false)),
        (p, o) => p == o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use tf_provider::value::{Value, ValueList, ValueString};

    #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
    struct Node<'a> {
        status: ValueString<'a>,
    }

    #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
    struct State<'a> {
        name: ValueString<'a>,
        node: ValueList<Value<Node<'a>>>,
    }

    #[test]
    fn unknowns_become_null_at_every_depth() {
        let state = State {
            name: Value::Unknown,
            node: Value::Value(vec![Value::Value(Node {
                status: Value::Unknown,
            })]),
        };
        let cleared = without_unknowns(&state);
        assert_eq!(cleared.name, Value::Null);
        assert_eq!(
            cleared.node,
            Value::Value(vec![Value::Value(Node {
                status: Value::Null
            })])
        );
    }

    #[test]
    fn promises_are_met_by_equal_values_and_any_value_for_unknown() {
        let s = |v: &str| ValueAny::String(v.into());
        let list = |v: &[&str]| ValueAny::List(v.iter().map(|v| s(v)).collect());
        assert!(meets(&ValueAny::Unknown, &s("x"), false));
        assert!(meets(&s("x"), &s("x"), false));
        assert!(!meets(&s("x"), &s("y"), false));
        assert!(!meets(&s("x"), &ValueAny::Null, false));
        assert!(meets(&list(&["a", "b"]), &list(&["b", "a"]), true));
        assert!(!meets(&list(&["a", "b"]), &list(&["b", "a"]), false));
        assert!(!meets(&list(&["a"]), &list(&["a", "b"]), true));
    }
}
