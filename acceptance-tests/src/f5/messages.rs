//! Every error text the simulator answers with, in one table, each with where its wording comes
//! from and whether that source shows BIG-IP itself saying it (`confirmed`) or the text is our
//! best reconstruction from F5's message pattern (`confirmed: false`, "unconfirmed").
//!
//! Two body shapes exist on a real box, and the simulator keeps them apart:
//! - mcpd (configuration) errors from `/mgmt/tm/...`:
//!   `{"code":404,"message":"01020036:3: The requested Pool (/Common/wrong) was not found.",
//!   "errorStack":[],"apiError":3}` — the exact body is quoted by a BIG-IP plugin's test suite
//!   (find_string "01020036:3: The requested", the `expectedErrors` of a Groovy spec) and by
//!   F5's own AS3 test (`{"code":404,"message":"01020036:3: The requested iRule (...) was not
//!   found.","errorStack":[],"apiError":3}`);
//! - restjavad (framework) errors, authentication among them:
//!   `{"code":401,"message":"X-F5-Auth-Token has expired.","referer":"10.100.0.10",
//!   "restOperationId":6229426,"kind":":resterrorresponse"}` (f5devcentral/f5-cli#8, a reply
//!   with the reason phrase "F5 Authorization Required").

/// One error text: `{0}`, `{1}`, ... are replaced by the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub template: &'static str,
    /// Seen verbatim (up to the names in it) in a capture of a real box's answer.
    pub confirmed: bool,
    pub source: &'static str,
}

impl Message {
    /// The text with `{i}` replaced by `args[i]`.
    pub fn render(&self, args: &[&str]) -> String {
        let mut out = self.template.to_string();
        for (i, a) in args.iter().enumerate() {
            out = out.replace(&format!("{{{i}}}"), a);
        }
        out
    }
}

/// `{0}` type as BIG-IP names it ("Pool", "Virtual Server"), `{1}` full path.
pub const NOT_FOUND: Message = Message {
    template: "01020036:3: The requested {0} ({1}) was not found.",
    confirmed: true,
    source:
        "BIG-IP plugin spec expectedErrors (Pool); F5 AS3 test (iRule); joel74/POSH-LTM-Rest#101 \
             (Pool); devices.md §4 (Virtual Server)",
};

/// `{0}` type, `{1}` full path, `{2}` partition.
pub const ALREADY_EXISTS: Message = Message {
    template: "01020066:3: The requested {0} ({1}) already exists in partition {2}.",
    confirmed: true,
    source: "F5Networks/f5-appsvcs-templates#128 (Node), F5Networks/f5-appsvcs-extension#868 \
             (Pool Member, `(/IAM/PROD/myPool /Common/localGateway 161)`)",
};

/// `{0}` pool full path, `{1}` virtual full path.
pub const POOL_IN_USE: Message = Message {
    template: "01070265:3: The Pool ({0}) cannot be deleted because it is in use by a Virtual Server ({1}).",
    confirmed: true,
    source: "K23011574 (code 01070265:3 on HTTP 400, cited by an F5 router plugin's isReferenced); \
             text: the phrase \"cannot be deleted because it is in use by a Virtual Server\" matched \
             by globocom/GloboNetworkAPI's F5 plugin; same pattern as `The rule (...) cannot be \
             deleted because it is in use by a rule (...)` from a box's log",
};

/// `{0}` object type, `{1}` its full path, `{2}` user type, `{3}` user full path. The same
/// 01070265 pattern as [`POOL_IN_USE`], for profiles, monitors and virtual addresses.
pub const IN_USE: Message = Message {
    template: "01070265:3: The {0} ({1}) cannot be deleted because it is in use by a {2} ({3}).",
    confirmed: false,
    source: "unconfirmed: 01070265's pattern applied to other object types",
};

/// A reference (pool, profile, monitor) to an object that does not exist, in a body: HTTP 400.
/// `{0}` type in lower case as mcpd writes references, `{1}` full path.
pub const REFERENCE_NOT_FOUND: Message = Message {
    template: "01020036:3: The requested {0} ({1}) was not found.",
    confirmed: false,
    source:
        "unconfirmed: 01020036 is what BIG-IP says for a missing object; that a virtual naming \
             a missing pool or profile gets it on HTTP 400 (not 404) is from client code treating \
             it as a bad request (F5Networks/f5-ansible#1294: the box refuses such a virtual)",
};

/// `{0}` configuration item (`/ltm/pool/`), `{1}` the pair as JSON (`"foo":"bar"`).
pub const UNEXPECTED_PROPERTY: Message = Message {
    template: "Found unexpected json pair at configuration item {0}. The json pair is {1}.",
    confirmed: false,
    source: "unconfirmed: the error's name from F5Networks/f5-openstack-agent#1010 \"Virtual \
             creation on 11.5.4 causes unexpected json pair error\"; wording as remembered from \
             iControl REST",
};

/// `{0}` property, `{1}` the value as JSON.
pub const INVALID_VALUE: Message = Message {
    template: "Invalid value for property \"{0}\": {1}.",
    confirmed: false,
    source: "unconfirmed: no capture of BIG-IP refusing an enumeration value was found",
};

pub const INVALID_JSON: Message = Message {
    template: "Found invalid JSON body in the request.",
    confirmed: false,
    source: "unconfirmed: restjavad's text as remembered",
};

/// `{0}` property.
pub const MISSING_PROPERTY: Message = Message {
    template: "The required property \"{0}\" is missing.",
    confirmed: false,
    source: "unconfirmed",
};

/// `{0}` the name given.
pub const INVALID_NAME: Message = Message {
    template: "01070022:3: The requested object name ({0}) is invalid.",
    confirmed: false,
    source: "unconfirmed",
};

/// `{0}` the destination given.
pub const INVALID_DESTINATION: Message = Message {
    template: "01070022:3: The requested destination ({0}) is invalid.",
    confirmed: false,
    source: "unconfirmed",
};

/// A built-in object (`/Common/fastL4`, `/Common/gateway_icmp`): `{0}` type, `{1}` full path.
pub const BUILT_IN: Message = Message {
    template: "01070712:3: The {0} ({1}) is a default object and cannot be deleted.",
    confirmed: false,
    source: "unconfirmed",
};

/// `{0}` the UDP profile's full path, `{1}` the virtual's full path.
pub const UDP_PROFILE_NEEDS_UDP: Message = Message {
    template: "01070734:3: Configuration error: The UDP profile ({0}) requires the virtual server ({1}) to have ip-protocol udp.",
    confirmed: false,
    source: "unconfirmed: BIG-IP refuses a UDP profile on a virtual whose ip-protocol is not udp \
             (what the profile is for: tmsh reference `ltm profile udp`); code and wording ours",
};

/// `{0}` the path of the request.
pub const NOT_REGISTERED: Message = Message {
    template: "URI path {0} not registered.  Please verify URI is supported and wait for /available suffix to be responsive.",
    confirmed: true,
    source: "an F5 client's tests quoting a box: `URI path /mgmt/tm/ltm/pool/?Common?my-pool not \
             registered.  Please verify ...` (restjavad body, kind :resterrorresponse)",
};

/// `{0}` method, `{1}` path.
pub const METHOD_NOT_ALLOWED: Message = Message {
    template: "Method {0} is not supported on {1}.",
    confirmed: false,
    source: "unconfirmed",
};

/// `{0}` the URI the request named.
pub const NO_CREDENTIALS: Message = Message {
    template: "Authorization failed: no user authentication header or token detected. Uri:{0} Referrer:127.0.0.1 Sender:127.0.0.1",
    confirmed: true,
    source: "an F5 client's tests quoting a box: `Authorization failed: no user authentication \
             header or token detected. Uri:http://localhost:8100/mgmt/tm/ltm/virtual Referrer:... \
             Sender:...` (401, restjavad body)",
};

pub const TOKEN_EXPIRED: Message = Message {
    template: "X-F5-Auth-Token has expired.",
    confirmed: true,
    source: "f5devcentral/f5-cli#8 (401, reason `F5 Authorization Required`)",
};

pub const TOKEN_UNKNOWN: Message = Message {
    template: "X-F5-Auth-Token does not exist.",
    confirmed: true,
    source: "a Perl iControl client matching it on 401 to log in again; F5 FAST/ACI FAQ \
             \"Error from BIG-IP: X-F5-Auth-Token does not exist\"",
};

/// Wrong user or password, at the token login or in Basic credentials.
pub const AUTHENTICATION_FAILED: Message = Message {
    template: "Authentication failed.",
    confirmed: false,
    source: "unconfirmed: seen only in another project's fake of /mgmt/shared/authn/login \
             (`{\"code\":401,\"message\":\"Authentication failed.\",\"kind\":\":resterrorresponse\"}`); \
             the real box also echoes `originalRequestBody`, which the simulator leaves out \
             because it would carry the password",
};

/// `{0}` the timeout asked for.
pub const TOKEN_TIMEOUT_RANGE: Message = Message {
    template: "timeout ({0}) must be between 0 and 36000 seconds.",
    confirmed: false,
    source: "unconfirmed: the 36000 s (10 h) maximum is F5's documented token lifetime limit \
             (K-article on token timeout); the wording is ours",
};

/// Every message, for the table's own test and for the report of what is unconfirmed.
pub const ALL: &[&Message] = &[
    &NOT_FOUND,
    &ALREADY_EXISTS,
    &POOL_IN_USE,
    &IN_USE,
    &REFERENCE_NOT_FOUND,
    &UNEXPECTED_PROPERTY,
    &INVALID_VALUE,
    &INVALID_JSON,
    &MISSING_PROPERTY,
    &INVALID_NAME,
    &INVALID_DESTINATION,
    &BUILT_IN,
    &UDP_PROFILE_NEEDS_UDP,
    &NOT_REGISTERED,
    &METHOD_NOT_ALLOWED,
    &NO_CREDENTIALS,
    &TOKEN_EXPIRED,
    &TOKEN_UNKNOWN,
    &AUTHENTICATION_FAILED,
    &TOKEN_TIMEOUT_RANGE,
];
