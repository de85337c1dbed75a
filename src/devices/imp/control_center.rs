//! Serviceability's ControlCenterServices on each node's own URL (imp-interface.md §4).
//!
//! [CCSWSDL]: `POST /controlcenterservice2/services/ControlCenterServices`, document/literal
//! SOAP 1.1, namespace `http://schemas.cisco.com/ast/soap` (qualified elements), SOAPAction the
//! bare operation name. `soapGetServiceStatus` takes `ServiceStatus` names (one empty name: every
//! service); `soapDoControlServices` a `ControlServiceRequest` (`NodeName`, `ControlType`,
//! `ServiceList/item`). Both answer a ServiceInformationResponse: `ReturnCode`, `ReasonCode`,
//! `ReasonString`, `ServiceInfoList/item` of `ServiceName`, `ServiceStatus`, `ReasonCode`,
//! `ReasonCodeString`. `NodeName` is left out: each node is asked on its own URL, as the DevNet
//! sample does.

use super::soap::{self, Body};
use crate::client::{HttpsReply, HttpsRequest, Method};
use crate::transport::https::BusyAnswer;

pub const PATH: &str = "/controlcenterservice2/services/ControlCenterServices";
const NS: &str = "http://schemas.cisco.com/ast/soap";

/// The service names this provider asks about (exact strings, [ICP][MIG][CERT]).
pub const AXL_WEB_SERVICE: &str = "Cisco AXL Web Service";
pub const SYNC_AGENT: &str = "Cisco Sync Agent";
pub const INTERCLUSTER_SYNC_AGENT: &str = "Cisco Intercluster Sync Agent";
pub const XCP_ROUTER: &str = "Cisco XCP Router";

/// What a control asks. There is no `Stop`: stopping the XCP Router leaves every other XCP
/// service down, and starting it again does not bring them back [DEP91]; a restart does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Start,
    Restart,
}

impl Control {
    pub fn name(self) -> &'static str {
        match self {
            Control::Start => "Start",
            Control::Restart => "Restart",
        }
    }
}

fn request(operation: &str, body: String) -> HttpsRequest {
    HttpsRequest {
        method: Method::POST,
        path: PATH.to_string(),
        headers: vec![
            ("Content-Type", "text/xml; charset=utf-8".to_string()),
            ("SOAPAction", operation.to_string()),
        ],
        body: soap::envelope("soap", NS, &body).into_bytes(),
    }
}

/// The status of `services` (every service for none).
pub fn status_request(services: &[&str]) -> HttpsRequest {
    let names: String = match services {
        [] => "<soap:ServiceStatus></soap:ServiceStatus>".to_string(),
        _ => services
            .iter()
            .map(|s| {
                format!(
                    "<soap:ServiceStatus>{}</soap:ServiceStatus>",
                    soap::escape(s)
                )
            })
            .collect(),
    };
    request(
        "soapGetServiceStatus",
        format!("<soap:soapGetServiceStatus>{names}</soap:soapGetServiceStatus>"),
    )
}

/// `control` of `services` on the node asked.
pub fn control_request(control: Control, services: &[&str]) -> HttpsRequest {
    let items: String = services
        .iter()
        .map(|s| format!("<soap:item>{}</soap:item>", soap::escape(s)))
        .collect();
    request(
        "soapDoControlServices",
        format!(
            "<soap:soapDoControlServices><soap:ControlServiceRequest><soap:ControlType>{}</soap:ControlType><soap:ServiceList>{items}</soap:ServiceList></soap:ControlServiceRequest></soap:soapDoControlServices>",
            control.name()
        ),
    )
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Started,
    Stopped,
    Starting,
    Stopping,
    /// `Unknown` or a word the WSDL does not list.
    Other(String),
}

impl State {
    fn parse(s: &str) -> State {
        match s.trim() {
            "Started" => State::Started,
            "Stopped" => State::Stopped,
            "Starting" => State::Starting,
            "Stopping" => State::Stopping,
            other => State::Other(other.to_string()),
        }
    }

    pub fn word(&self) -> &str {
        match self {
            State::Started => "Started",
            State::Stopped => "Stopped",
            State::Starting => "Starting",
            State::Stopping => "Stopping",
            State::Other(s) => s,
        }
    }
}

/// Reason codes public clients agree on (imp-interface.md §4, LIKELY).
pub const NOT_ACTIVATED: i64 = -1068;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub state: State,
    pub reason_code: Option<i64>,
    pub reason: String,
}

impl Service {
    /// `Started`, or the state with the device's reason (`Stopped (Service Not Activated)`).
    pub fn describe(&self) -> String {
        match self.reason.trim() {
            r if r.is_empty() || self.state == State::Started => self.state.word().to_string(),
            r => format!("{} ({r})", self.state.word()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub return_code: Option<i64>,
    pub reason: String,
    pub services: Vec<Service>,
}

impl Report {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }
}

fn code(text: Option<String>) -> Option<i64> {
    text.and_then(|t| t.trim().parse().ok())
}

/// A ServiceInformationResponse, or the device's fault or status in its words.
pub fn report(reply: &HttpsReply) -> Result<Report, String> {
    let body = String::from_utf8_lossy(&reply.body);
    let doc = soap::parse(&body).map_err(|e| format!("HTTP {}: {e}", reply.status))?;
    let element = match soap::body(&doc)? {
        Body::Fault(f) => return Err(f.to_string()),
        Body::Element(e) => e,
    };
    let ret = element
        .children()
        .find(|c| c.is_element() && c.tag_name().name().ends_with("Return"))
        .ok_or_else(|| format!("<{}> has no return", element.tag_name().name()))?;
    let services = soap::child(ret, "ServiceInfoList")
        .map(|list| {
            soap::children(list, "item")
                .map(|item| Service {
                    name: soap::child_text(item, "ServiceName")
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                    state: State::parse(
                        &soap::child_text(item, "ServiceStatus").unwrap_or_default(),
                    ),
                    reason_code: code(soap::child_text(item, "ReasonCode")),
                    reason: soap::child_text(item, "ReasonCodeString").unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Report {
        return_code: code(soap::child_text(ret, "ReturnCode")),
        reason: soap::child_text(ret, "ReasonString").unwrap_or_default(),
        services,
    })
}

/// Control Center's rate limit: a fault saying "Exceeded allowed rate" (LIKELY, §4).
pub struct RateLimited;

impl BusyAnswer for RateLimited {
    fn is_busy(&self, reply: &HttpsReply) -> bool {
        reply.status == 500
            && String::from_utf8_lossy(&reply.body).contains("Exceeded allowed rate")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> HttpsReply {
        HttpsReply {
            status,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn requests_follow_the_wsdl() {
        let r = control_request(Control::Restart, &[XCP_ROUTER]);
        assert_eq!(r.path, PATH);
        assert!(r
            .headers
            .contains(&("SOAPAction", "soapDoControlServices".into())));
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains("xmlns:soap=\"http://schemas.cisco.com/ast/soap\""));
        assert!(body.contains("<soap:ControlType>Restart</soap:ControlType><soap:ServiceList><soap:item>Cisco XCP Router</soap:item></soap:ServiceList>"));
        let all = String::from_utf8(status_request(&[]).body).unwrap();
        assert!(all.contains("<soap:ServiceStatus></soap:ServiceStatus>"));
    }

    #[test]
    fn reads_items_qualified_or_not() {
        let body = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns1:soapGetServiceStatusResponse xmlns:ns1="http://schemas.cisco.com/ast/soap"><ns1:soapGetServiceStatusReturn><ns1:ReturnCode>0</ns1:ReturnCode><ns1:ReasonCode>-1</ns1:ReasonCode><ns1:ReasonString/><ns1:ServiceInfoList><ns1:item><ns1:ServiceName>Cisco XCP Router</ns1:ServiceName><ns1:ServiceStatus>Started</ns1:ServiceStatus><ns1:ReasonCode>-1</ns1:ReasonCode><ns1:ReasonCodeString> </ns1:ReasonCodeString></ns1:item><item><ServiceName>Cisco Sync Agent</ServiceName><ServiceStatus>Stopped</ServiceStatus><ReasonCode>-1068</ReasonCode><ReasonCodeString>Service Not Activated</ReasonCodeString></item></ns1:ServiceInfoList></ns1:soapGetServiceStatusReturn></ns1:soapGetServiceStatusResponse></soapenv:Body></soapenv:Envelope>"#;
        let r = report(&reply(200, body)).unwrap();
        assert_eq!(r.return_code, Some(0));
        assert_eq!(r.service(XCP_ROUTER).unwrap().describe(), "Started");
        let sync = r.service(SYNC_AGENT).unwrap();
        assert_eq!(sync.reason_code, Some(NOT_ACTIVATED));
        assert_eq!(sync.describe(), "Stopped (Service Not Activated)");
    }

    #[test]
    fn a_fault_is_the_device_words() {
        let body = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Exceeded allowed rate for Reatime information. Current allowed rate for realtime information is 40 requests per minute.</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        assert!(report(&reply(500, body))
            .unwrap_err()
            .starts_with("Exceeded allowed rate"));
        assert!(RateLimited.is_busy(&reply(500, body)));
        assert!(report(&reply(200, "junk"))
            .unwrap_err()
            .contains("HTTP 200"));
    }
}
