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

/// How a change ended, and so what the read-back starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every step succeeded: the read-back must keep every promise of the plan.
    Done,
    /// A step failed (the error is in the diagnostics) after the devices started moving to the
    /// plan: the read-back starts from the planned state.
    Failed,
    /// A step failed while the devices still held the prior state (nothing changed yet, or
    /// only what the prior state records): the read-back starts from the prior state.
    FailedBeforeChange,
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
            (Outcome::FailedBeforeChange, Some(prior)) => prior,
            _ => change.planned,
        };
        // However long the change took, the read-back gets its own short time.
        let deadline = change
            .deadline
            .max(Instant::now() + Duration::from_secs(30));
        let observed = match self.0.observe(diags, base, deadline).await {
            Observed::Present(state) => state,
            Observed::Gone => return None,
            Observed::Unreadable => base.clone(),
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
        let parsed = match R::IMPORT_ID.parse(&id) {
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
