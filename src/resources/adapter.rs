//! The house rules, written once. A resource implements [`DeviceResource`]: its declaration
//! ([`DeviceResource::SPEC`], [`DeviceResource::IMPORT_ID`]) and the hooks of its procedure
//! (plan, observe, refuse, converge, delete, import). [`Adapted`] serves it to Terraform and
//! does for every resource what each one used to write by hand:
//!
//! - the schema and the per-attribute checks come from the declaration, `timeouts` included;
//! - every secret in the configuration, the prior state and the plan is registered for masking
//!   before anything runs;
//! - every operation runs against its deadline (`timeouts`, else the declared default);
//! - a create first asks whether the object already exists, and refuses with the import
//!   command instead of taking over what someone made by hand;
//! - after a create or an update the devices are read back: the state is what they report, and
//!   a value the plan promised that they do not report is an error naming the attribute;
//! - a read that finds nothing on any device removes the object from the state (the plan shows
//!   a create); one that cannot read keeps the last known state;
//! - no unknown value is ever returned in a state.
//!
//! Why a trait with an adapter struct rather than a blanket impl: tf-provider's `Resource` is
//! a foreign trait, so a blanket impl over every `DeviceResource` would break the orphan rule;
//! `Adapted(resource)` is the one wrapper the provider registers.

use crate::resources::image::{field, from_image, image, without_unknowns};
use crate::resources::import_id::{ImportId, ImportShape};
use crate::resources::spec::Spec;
use crate::resources::step::StepError;
use crate::timeouts::{limit, Operation, Timeouts};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueAny, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};
use tokio::time::Instant;

/// What one observation of the devices found.
pub enum Observed<S> {
    /// The object exists; the state is what the devices report.
    Present(S),
    /// Nothing of it exists on any device (every device answered).
    Gone,
    /// It could not be read; the reason is in the diagnostics. The last known state stands.
    Unreadable,
}

/// Why a create stops before it changes anything.
pub struct Refusal {
    pub summary: String,
    pub detail: String,
    /// Where in the configuration (a node block), or the whole resource.
    pub path: Option<AttributePath>,
    /// The import ID of what already exists: the message tells the operator to import it.
    pub import: Option<ImportId>,
}

impl Refusal {
    /// The device could not be asked whether the object already exists.
    pub fn cannot_check(error: impl std::fmt::Display) -> Refusal {
        Refusal {
            summary: "Cannot check the node before creating".into(),
            detail: error.to_string(),
            path: None,
            import: None,
        }
    }
}

/// What an import read: the state, or an error saying `gone` (nothing to import) under
/// `summary`; an unreadable device already said why.
pub fn imported<S, P: Default>(
    diags: &mut Diagnostics,
    observed: Observed<S>,
    summary: &str,
    gone: String,
) -> Option<(S, P)> {
    match observed {
        Observed::Present(state) => Some((state, P::default())),
        Observed::Gone => {
            diags.root_error(summary.to_string(), gone);
            None
        }
        Observed::Unreadable => None,
    }
}

/// The refusal of a create over devices (nodes, at `path(i)`) that were each asked first: the
/// first that could not be checked (`cannot_check`, with its error), or the first whose answer
/// `found` says already holds the object (its summary and detail); the object's import ID
/// goes with the second. `None` when no device stands in the way.
pub fn refuse_per_node<T, E: std::fmt::Display>(
    answers: &[Result<T, E>],
    path: impl Fn(usize) -> AttributePath,
    cannot_check: &str,
    found: impl Fn(usize, &T) -> Option<(String, String)>,
    import: impl FnOnce() -> ImportId,
) -> Option<Refusal> {
    for (i, answer) in answers.iter().enumerate() {
        let (summary, detail, import) = match answer {
            Err(e) => (cannot_check.to_string(), e.to_string(), None),
            Ok(seen) => match found(i, seen) {
                Some((summary, detail)) => (summary, detail, Some(import())),
                None => continue,
            },
        };
        return Some(Refusal {
            summary,
            detail,
            path: Some(path(i)),
            import,
        });
    }
    None
}

/// The observation of one device that could not be read: a warning when it cannot be reached
/// (`unchecked` says what went unchecked), an error under `summary` otherwise; the last known
/// state stands either way.
pub fn unreadable<S>(
    diags: &mut Diagnostics,
    error: StepError,
    unchecked: &str,
    summary: &str,
) -> Observed<S> {
    match error {
        StepError::Transport(t) if t.is_unreachable() => diags.root_warning(
            "Meeting Server node unreachable",
            format!("{t}; {unchecked} could not be checked"),
        ),
        e => diags.root_error(summary.to_string(), e.to_string()),
    }
    Observed::Unreadable
}

/// How a change ended, and so what the read-back starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every step succeeded: the read-back must keep every promise of the plan.
    Done,
    /// A step failed (the error is in the diagnostics) after the devices started moving to the
    /// plan: the read-back starts from the planned state.
    Failed,
    /// A step failed, and the attributes only the configuration holds stay as the prior state
    /// has them (the read-back starts from it), so the next plan proposes the change again.
    FailedKeepingPrior,
    /// A check failed before anything changed: an update keeps the prior state as
    /// `FailedKeepingPrior` does; a create records nothing, since nothing was made (a read-back
    /// could find what the resource does not own, such as an entry the operator is to add).
    Refused,
}

/// One create or update, as the procedure sees it.
pub struct Change<'s, 'a, S, P> {
    /// The state before an update; `None` for a create.
    pub prior: Option<&'s S>,
    pub planned: &'s S,
    /// The private state Terraform planned with (the prior one for an update).
    pub private: &'s P,
    pub deadline: Instant,
    #[doc(hidden)]
    pub _lifetime: std::marker::PhantomData<&'a ()>,
}

/// A resource's declaration and the hooks of its procedure; see the module documentation for
/// what [`Adapted`] does around them.
#[async_trait::async_trait]
pub trait DeviceResource: Send + Sync + 'static {
    type State<'a>: Serialize + DeserializeOwned + Clone + Send + Sync;
    type Private<'a>: Serialize + DeserializeOwned + Clone + Send + Sync + Default;

    /// Every attribute, once.
    const SPEC: &'static Spec;
    /// The import ID's shape.
    const IMPORT_ID: &'static ImportShape;
    /// What the resource is, in messages ("Call Bridge account").
    const NOUN: &'static str;

    /// The import ID Terraform was given, parsed; by default in the declared shape.
    fn parse_import(&self, id: &str) -> Result<ImportId, String> {
        Self::IMPORT_ID.parse(id)
    }

    /// Relations between attributes that no single declaration can say (the declared checks
    /// have already run).
    fn validate(&self, _diags: &mut Diagnostics, _config: &Self::State<'_>) {}

    /// The planned state. `proposed` already has every defaulted attribute the configuration
    /// leaves unset at its declared default (`ByResource` ones null, for the plan to fill);
    /// `prior` is the state and private state of an update.
    fn plan<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        config: &Self::State<'a>,
        prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>>;

    /// What the devices report, starting from `base` for what only the configuration says.
    /// Never changes a device.
    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>>;

    /// Warnings that name what changed outside Terraform, shown with the plan after a read.
    fn report_drift(&self, _diags: &mut Diagnostics, _observed: &Self::State<'_>) {}

    /// `Err` when the object, or part of it, already exists and a create would take it over.
    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal>;

    /// Run the procedure to `change.planned`; errors go to `diags`.
    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome;

    /// Whether a state read back after a create holds anything of the object; a create that
    /// made nothing records nothing.
    fn made_anything(&self, _observed: &Self::State<'_>) -> bool {
        true
    }

    /// Take the object off the devices; errors go to `diags`.
    async fn delete<'a>(&self, diags: &mut Diagnostics, prior: &Self::State<'a>, deadline: Instant);

    /// The state an import ID names, read from the devices; `None` (with an error) when it
    /// cannot be read or does not exist.
    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)>;
}

/// A [`DeviceResource`] served to Terraform under the house rules.
pub struct Adapted<R>(pub R);

/// The `timeouts` block of a state, if set.
fn timeouts_of<S: Serialize>(state: &S) -> Value<Timeouts<'static>> {
    match field(&image(state), "timeouts") {
        ValueAny::List(blocks) => blocks
            .first()
            .and_then(|t| from_image(t.clone()).ok())
            .map(Value::Value)
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn deadline<S: Serialize>(spec: &Spec, state: &S, op: Operation) -> Instant {
    Instant::now() + limit(&timeouts_of(state), op, declared_timeout(spec, op))
}

fn declared_timeout(spec: &Spec, op: Operation) -> Duration {
    spec.timeouts
        .iter()
        .find(|(o, _)| *o == op)
        .map(|(_, d)| *d)
        .unwrap_or(Duration::from_secs(300))
}

impl<R: DeviceResource> Adapted<R> {
    /// Read back after a write: the state is what the devices report, and every known value of
    /// the plan must be among it. `None` when nothing exists.
    async fn read_back<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, R::State<'a>, R::Private<'a>>,
        outcome: Outcome,
    ) -> Option<R::State<'a>> {
        let base = match (outcome, change.prior) {
            (Outcome::FailedKeepingPrior | Outcome::Refused, Some(prior)) => prior,
            (Outcome::Refused, None) => return None,
            _ => change.planned,
        };
        // However long the change took, the read-back gets its own short time.
        let deadline = change
            .deadline
            .max(Instant::now() + Duration::from_secs(30));
        let observed = match self.0.observe(diags, base, deadline).await {
            Observed::Present(state) => state,
            Observed::Gone => return None,
            Observed::Unreadable => {
                if diags.errors.is_empty() {
                    diags.root_error(
                        format!("Cannot read the {} back after apply", R::NOUN),
                        "the change ran, but what the devices now hold could not be confirmed; the next plan reads them again",
                    );
                }
                base.clone()
            }
        };
        if outcome == Outcome::Done && diags.errors.is_empty() {
            for unmet in R::SPEC.unmet(change.planned, &observed) {
                diags.error(
                    format!("{} not in place after apply", R::NOUN),
                    format!(
                        "{} was planned as {}, the device reports {}",
                        unmet.path, unmet.planned, unmet.observed
                    ),
                    unmet.path,
                );
            }
        }
        R::SPEC.register_secrets(&observed);
        Some(without_unknowns(&observed))
    }
}

#[async_trait::async_trait]
impl<R: DeviceResource> Resource for Adapted<R> {
    type State<'a> = R::State<'a>;
    type PrivateState<'a> = R::Private<'a>;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(R::SPEC.schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        R::SPEC.check(&config, diags);
        if let Value::Value(t) = timeouts_of(&config) {
            t.validate(diags);
        }
        self.0.validate(diags, &config);
        Some(())
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        config: Self::State<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        R::SPEC.register_secrets(&config);
        let proposed = with_unset_defaults::<R>(diags, proposed, &config)?;
        let planned = self.0.plan(diags, proposed, &config, None)?;
        Some((planned, R::Private::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: Self::State<'a>,
        proposed: Self::State<'a>,
        config: Self::State<'a>,
        prior_private: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        R::SPEC.register_secrets(&prior);
        R::SPEC.register_secrets(&config);
        let replace = R::SPEC.replaced_paths(&prior, &proposed);
        let proposed = with_unset_defaults::<R>(diags, proposed, &config)?;
        let planned = self
            .0
            .plan(diags, proposed, &config, Some((&prior, &prior_private)))?;
        Some((planned, prior_private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: Self::State<'a>,
        _prior_private: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        Some(R::Private::default())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        R::SPEC.register_secrets(&state);
        let deadline = deadline(R::SPEC, &state, Operation::Read);
        let observed = match self.0.observe(diags, &state, deadline).await {
            Observed::Present(observed) => observed,
            // Deleted outside Terraform: gone from the state, so the plan shows a create.
            Observed::Gone => return None,
            Observed::Unreadable => state,
        };
        R::SPEC.register_secrets(&observed);
        self.0.report_drift(diags, &observed);
        Some((without_unknowns(&observed), private))
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: Self::State<'a>,
        _config: Self::State<'a>,
        private: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        R::SPEC.register_secrets(&planned);
        let deadline = deadline(R::SPEC, &planned, Operation::Create);
        // Never take over an object made by hand: the operator imports it instead.
        if let Err(refusal) = self.0.refuse_existing(&planned, deadline).await {
            let detail = match refusal.import {
                Some(id) => format!(
                    "{}. To manage it with Terraform, import it:\n  terraform import <resource address> '{id}'",
                    refusal.detail
                ),
                None => refusal.detail,
            };
            match refusal.path {
                Some(path) => diags.error(refusal.summary, detail, path),
                None => diags.root_error(refusal.summary, detail),
            }
            return None;
        }
        let change = Change {
            prior: None,
            planned: &planned,
            private: &private,
            deadline,
            _lifetime: Default::default(),
        };
        let outcome = self.0.converge(diags, &change).await;
        let state = self.read_back(diags, &change, outcome).await?;
        self.0
            .made_anything(&state)
            .then(|| (state, R::Private::default()))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: Self::State<'a>,
        planned: Self::State<'a>,
        _config: Self::State<'a>,
        private: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        R::SPEC.register_secrets(&prior);
        R::SPEC.register_secrets(&planned);
        let change = Change {
            prior: Some(&prior),
            planned: &planned,
            private: &private,
            deadline: deadline(R::SPEC, &planned, Operation::Update),
            _lifetime: Default::default(),
        };
        let outcome = self.0.converge(diags, &change).await;
        let state = self.read_back(diags, &change, outcome).await?;
        // A private state lasts until the first update that succeeds (an import's marks).
        let private = match outcome == Outcome::Done && diags.errors.is_empty() {
            true => R::Private::default(),
            false => private.clone(),
        };
        Some((state, private))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: Self::State<'a>,
        _private: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        R::SPEC.register_secrets(&prior);
        let deadline = deadline(R::SPEC, &prior, Operation::Delete);
        self.0.delete(diags, &prior, deadline).await;
        Some(())
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let parsed = match self.0.parse_import(&id) {
            Ok(parsed) => parsed,
            Err(e) => {
                diags.root_error("Invalid import ID", e);
                return None;
            }
        };
        let deadline = Instant::now() + declared_timeout(R::SPEC, Operation::Read);
        // Import reads the devices: what cannot be read fails here and leaves the state as it was.
        let (state, private) = self.0.import(diags, parsed, deadline).await?;
        R::SPEC.register_secrets(&state);
        Some((without_unknowns(&state), private))
    }
}

fn with_unset_defaults<'a, R: DeviceResource>(
    diags: &mut Diagnostics,
    proposed: R::State<'a>,
    config: &R::State<'a>,
) -> Option<R::State<'a>> {
    R::SPEC
        .with_unset_defaults(proposed, config)
        .map_err(|e| diags.root_error("Cannot plan", e))
        .ok()
}

#[cfg(test)]
mod tests {
    //! The house rules on a resource whose device is a value in memory.
    use super::*;
    use crate::resources::import_id::ImportNode;
    use crate::resources::spec::{attr, DefaultValue, Presence, Type};
    use crate::resources::values::{known, text};
    use serde::Deserialize;
    use std::sync::Mutex;
    use tf_provider::value::{self, ValueString};

    #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
    struct Thing<'a> {
        id: ValueString<'a>,
        name: ValueString<'a>,
        value: ValueString<'a>,
        secret: ValueString<'a>,
        status: ValueString<'a>,
        #[serde(with = "value::serde_as_vec")]
        timeouts: Value<Timeouts<'a>>,
    }

    const SPEC: Spec = Spec {
        description: "t",
        attrs: &[
            attr("id", Type::Text, Presence::Computed, "i"),
            attr("name", Type::Text, Presence::Required, "n").replaces(),
            attr(
                "value",
                Type::Text,
                Presence::Defaulted(DefaultValue::Text("v")),
                "v",
            ),
            attr("secret", Type::Text, Presence::Optional, "s").sensitive(),
            attr("status", Type::Text, Presence::Computed, "s"),
        ],
        blocks: &[],
        timeouts: &[(Operation::Read, Duration::from_secs(5))],
    };

    fn any_word(_: &str) -> Result<(), String> {
        Ok(())
    }

    const IMPORT_ID: ImportShape = ImportShape {
        name: Some(any_word),
        labels: None,
        min_nodes: 1,
        max_nodes: 1,
        settings: &[],
        usage: "<name>@<host>",
    };

    /// What the device holds, and how it misbehaves.
    #[derive(Default)]
    struct Device {
        value: Option<String>,
        unreadable: bool,
        /// The device reports another status than the one it was asked for.
        broken: bool,
    }

    #[derive(Default)]
    struct Fake(Mutex<Device>);

    impl Fake {
        fn holding(value: &str) -> Adapted<Fake> {
            let fake = Fake::default();
            fake.0.lock().unwrap().value = Some(value.into());
            Adapted(fake)
        }
        fn device(&self) -> std::sync::MutexGuard<'_, Device> {
            self.0.lock().unwrap()
        }
    }

    #[async_trait::async_trait]
    impl DeviceResource for Fake {
        type State<'a> = Thing<'a>;
        type Private<'a> = ValueEmpty;
        const SPEC: &'static Spec = &SPEC;
        const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
        const NOUN: &'static str = "Thing";

        fn plan<'a>(
            &self,
            _diags: &mut Diagnostics,
            proposed: Self::State<'a>,
            _config: &Self::State<'a>,
            _prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
        ) -> Option<Self::State<'a>> {
            Some(Thing {
                id: proposed.name.clone(),
                status: known("ok"),
                ..proposed
            })
        }

        async fn observe<'a>(
            &self,
            diags: &mut Diagnostics,
            base: &Self::State<'a>,
            _deadline: Instant,
        ) -> Observed<Self::State<'a>> {
            let device = self.device();
            if device.unreadable {
                diags.root_warning("unreachable", "no answer");
                return Observed::Unreadable;
            }
            match &device.value {
                None => Observed::Gone,
                Some(v) => Observed::Present(Thing {
                    value: known(v.clone()),
                    status: known(if device.broken { "broken" } else { "ok" }),
                    ..base.clone()
                }),
            }
        }

        async fn refuse_existing<'a>(
            &self,
            planned: &Self::State<'a>,
            _deadline: Instant,
        ) -> Result<(), Refusal> {
            match self.device().value {
                None => Ok(()),
                Some(_) => Err(Refusal {
                    summary: "Thing already exists".into(),
                    detail: "the device has one".into(),
                    path: None,
                    import: Some(ImportId {
                        name: text(&planned.name),
                        nodes: vec![ImportNode {
                            label: None,
                            address: "10.0.0.1".into(),
                            port: None,
                        }],
                        settings: vec![],
                    }),
                }),
            }
        }

        async fn converge<'a>(
            &self,
            _diags: &mut Diagnostics,
            change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
        ) -> Outcome {
            self.device().value = text(&change.planned.value);
            Outcome::Done
        }

        async fn delete<'a>(
            &self,
            _diags: &mut Diagnostics,
            _prior: &Self::State<'a>,
            _d: Instant,
        ) {
            self.device().value = None;
        }

        async fn import<'a>(
            &self,
            _diags: &mut Diagnostics,
            id: ImportId,
            _deadline: Instant,
        ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
            let value = self.device().value.clone()?;
            Some((
                Thing {
                    name: id.name.map(known).unwrap_or_default(),
                    value: known(value),
                    status: Value::Unknown,
                    ..Default::default()
                },
                Value::Null,
            ))
        }
    }

    fn config(name: &str) -> Thing<'static> {
        Thing {
            name: known(name),
            ..Default::default()
        }
    }

    async fn plan(r: &Adapted<Fake>, config: Thing<'static>) -> Thing<'static> {
        let mut diags = Diagnostics::default();
        let proposed = Thing {
            value: Value::Unknown,
            ..config.clone()
        };
        let (planned, _) = r
            .plan_create(&mut diags, proposed, config, Value::Null)
            .await
            .unwrap();
        planned
    }

    #[tokio::test]
    async fn a_create_reads_back_and_an_unset_default_is_planned() {
        let r = Adapted(Fake::default());
        let planned = plan(&r, config("a")).await;
        assert_eq!(planned.value, known("v"));
        let mut diags = Diagnostics::default();
        let (state, _) = r
            .create(&mut diags, planned, config("a"), Value::Null, Value::Null)
            .await
            .unwrap();
        assert!(diags.errors.is_empty(), "{:?}", diags.errors);
        assert_eq!(r.0.device().value.as_deref(), Some("v"));
        assert_eq!((state.id, state.status), (known("a"), known("ok")));
    }

    #[tokio::test]
    async fn a_create_over_an_existing_object_refuses_with_the_import_command() {
        let r = Fake::holding("made by hand");
        let planned = plan(&r, config("a")).await;
        let mut diags = Diagnostics::default();
        let created = r
            .create(&mut diags, planned, config("a"), Value::Null, Value::Null)
            .await;
        assert!(created.is_none());
        assert_eq!(r.0.device().value.as_deref(), Some("made by hand"));
        let detail = format!("{:?}", diags.errors);
        assert!(
            detail.contains("terraform import <resource address> 'a@10.0.0.1'"),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn a_promise_the_device_does_not_keep_is_an_error_naming_the_attribute() {
        let r = Adapted(Fake::default());
        r.0.device().broken = true;
        let planned = plan(&r, config("a")).await;
        let mut diags = Diagnostics::default();
        let (state, _) = r
            .create(&mut diags, planned, config("a"), Value::Null, Value::Null)
            .await
            .unwrap();
        assert_eq!(
            state.status,
            known("broken"),
            "the state is what the device reports"
        );
        let errors = format!("{:?}", diags.errors);
        assert_eq!(diags.errors.len(), 1, "{errors}");
        assert!(
            errors.contains("Thing not in place after apply"),
            "{errors}"
        );
        assert!(
            errors.contains("status was planned as \\\"ok\\\""),
            "{errors}"
        );
    }

    #[tokio::test]
    async fn an_object_gone_from_every_device_leaves_the_state() {
        let r = Adapted(Fake::default());
        let mut diags = Diagnostics::default();
        let read = r
            .read(&mut diags, config("a"), Value::Null, Value::Null)
            .await;
        assert!(read.is_none());
    }

    #[tokio::test]
    async fn an_unreadable_device_keeps_the_last_state_and_a_write_it_hides_is_an_error() {
        let r = Fake::holding("v");
        r.0.device().unreadable = true;
        let mut diags = Diagnostics::default();
        let prior = Thing {
            status: known("ok"),
            ..config("a")
        };
        let (kept, _) = r
            .read(&mut diags, prior.clone(), Value::Null, Value::Null)
            .await
            .unwrap();
        assert_eq!(kept, prior);
        assert!(diags.errors.is_empty());
        let mut diags = Diagnostics::default();
        let planned = Thing {
            value: known("w"),
            status: Value::Unknown,
            ..prior.clone()
        };
        let (state, _) = r
            .update(
                &mut diags,
                prior,
                planned,
                config("a"),
                Value::Null,
                Value::Null,
            )
            .await
            .unwrap();
        assert!(format!("{:?}", diags.errors).contains("Cannot read the Thing back after apply"));
        assert_eq!(state.status, Value::Null, "no unknown value in a state");
    }

    #[tokio::test]
    async fn an_import_reads_the_device_and_returns_no_unknowns() {
        let r = Fake::holding("v");
        let mut diags = Diagnostics::default();
        let (state, _) = r.import(&mut diags, "a@10.0.0.1".into()).await.unwrap();
        assert_eq!((state.name, state.value), (known("a"), known("v")));
        assert_eq!(state.status, Value::Null);
        let mut diags = Diagnostics::default();
        assert!(r.import(&mut diags, "no-host".into()).await.is_none());
        assert!(format!("{:?}", diags.errors).contains("Invalid import ID"));
    }

    #[tokio::test]
    async fn changing_a_replacing_attribute_plans_a_replacement() {
        let r = Fake::holding("v");
        let prior = Thing {
            id: known("a"),
            value: known("v"),
            status: known("ok"),
            ..config("a")
        };
        let mut diags = Diagnostics::default();
        let proposed = Thing {
            name: known("b"),
            ..prior.clone()
        };
        let (_, _, replace) = r
            .plan_update(
                &mut diags,
                prior,
                proposed,
                config("b"),
                Value::Null,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(replace, vec![AttributePath::new("name")]);
    }
}
