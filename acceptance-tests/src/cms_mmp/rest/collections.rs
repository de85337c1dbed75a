//! The two collections of the Call Bridge's database the API serves, `/callBridges` and
//! `/webBridges`: their names, the parameter no two objects may share, their failure reasons
//! and their XML, so [`super::api`] serves both with one set of handlers.
//!
//! XML shapes (TAC 212298's trace for Call Bridges; the API Reference's "Web Bridge related
//! methods" for Web Bridges):
//! - list: `<callBridges total="N"><callBridge id=".."><name>..</name></callBridge>...</callBridges>`
//!   (only the name, as in the trace); `<webBridges total="N"><webBridge id=".."><url>..</url></webBridge>...</webBridges>`
//!   [GUESS: only the url].
//! - object: `<callBridge id=".."><name>..</name><address>..</address><sipDomain>..</sipDomain></callBridge>`
//!   (sipDomain always there, empty when unset, as in the trace); `<webBridge id=".."><url>..</url>
//!   <resourceArchive>..</resourceArchive>[<idEntryMode>..</idEntryMode>]<allowWeblinkAccess>..
//!   </allowWeblinkAccess><showSignIn>..</showSignIn><resolveCoSpaceCallIds>..</resolveCoSpaceCallIds>
//!   <resolveLyncConferenceIds>..</resolveLyncConferenceIds></webBridge>` (resourceArchive empty
//!   when unset, idEntryMode only once set [GUESS]).
//!
//! Failure reasons: `callBridgeDoesNotExist` / `webBridgeDoesNotExist` for an unknown id
//! (the API Reference's `...DoesNotExist` pattern, devices.md 1.3), `duplicateCallBridgeName` /
//! `duplicateWebBridgeUrl` [GUESS: names in the Reference's `duplicate...` pattern].

use super::objects::{ApiCallBridge, ApiDatabase, ApiWebBridge, Parameters};
use super::xml::{boolean, Xml};

/// One collection of [`ApiDatabase`].
pub trait Collection: Parameters + Clone + Default {
    /// The path segment and the list's root element: `callBridges`.
    const COLLECTION: &'static str;
    /// One object's element: `callBridge`.
    const ELEMENT: &'static str;
    /// The parameter no two objects may share (`name`, `url`).
    const KEY: &'static str;
    /// The failure reason for an unknown id.
    const DOES_NOT_EXIST: &'static str;
    /// The failure reason for a second object with the same [`Collection::KEY`].
    const DUPLICATE: &'static str;

    fn objects(db: &mut ApiDatabase) -> &mut Vec<Self>;
    fn id(&self) -> &str;
    fn set_id(&mut self, id: String);
    /// The value of [`Collection::KEY`].
    fn key(&self) -> &str;
    /// What the list shows of the object, inside its element.
    fn summary(&self, x: &mut Xml);
    /// What a GET of the object shows, inside its element.
    fn detail(&self, x: &mut Xml);
}

impl Collection for ApiCallBridge {
    const COLLECTION: &'static str = "callBridges";
    const ELEMENT: &'static str = "callBridge";
    const KEY: &'static str = "name";
    const DOES_NOT_EXIST: &'static str = "callBridgeDoesNotExist";
    const DUPLICATE: &'static str = "duplicateCallBridgeName";

    fn objects(db: &mut ApiDatabase) -> &mut Vec<Self> {
        &mut db.call_bridges
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn set_id(&mut self, id: String) {
        self.id = id;
    }

    fn key(&self) -> &str {
        &self.name
    }

    fn summary(&self, x: &mut Xml) {
        x.element("name", &self.name);
    }

    fn detail(&self, x: &mut Xml) {
        x.element("name", &self.name)
            .element("address", &self.address)
            .element("sipDomain", self.sip_domain.as_deref().unwrap_or(""));
    }
}

impl Collection for ApiWebBridge {
    const COLLECTION: &'static str = "webBridges";
    const ELEMENT: &'static str = "webBridge";
    const KEY: &'static str = "url";
    const DOES_NOT_EXIST: &'static str = "webBridgeDoesNotExist";
    const DUPLICATE: &'static str = "duplicateWebBridgeUrl";

    fn objects(db: &mut ApiDatabase) -> &mut Vec<Self> {
        &mut db.web_bridges
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn set_id(&mut self, id: String) {
        self.id = id;
    }

    fn key(&self) -> &str {
        &self.url
    }

    fn summary(&self, x: &mut Xml) {
        x.element("url", &self.url);
    }

    fn detail(&self, x: &mut Xml) {
        x.element("url", &self.url)
            .element(
                "resourceArchive",
                self.resource_archive.as_deref().unwrap_or(""),
            )
            .optional("idEntryMode", self.id_entry_mode.as_deref());
        for (name, value) in self.booleans() {
            x.element(name, boolean(value));
        }
    }
}
