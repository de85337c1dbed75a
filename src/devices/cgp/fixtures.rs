//! Literal fixtures from CommuniGate Systems' own files and from clients' tests, each with
//! its source (cgp-interface.md §0). Excerpts keep the sources' bytes (indentation, the tab in
//! DomainDefault.settings, the missing final newline of WebUserPrefs.settings).

/// S10 `CGP/Settings/Main.settings` (communigate/communigate-cpanel-adaptor), whole file:
/// LIKELY the `GetServerSettings` dictionary (its keys are what S9 reads from it).
pub const MAIN_SETTINGS: &str = r#"{
 AccountCacheSize = 100;
 AccountCachedInfo = NO;
 AccountStatistics = NO;
 ChronosLogLevel = 3;
 CrashRecovery = YES;
 DataSetsLogLevel = 2;
 DomainName = cpanel.communigate.com;
 ExternalAUTH = {Enabled=NO;LogLevel=3;};
 ExternalBanner = {Enabled=NO;LogLevel=3;};
 ExternalCDR = {Enabled=NO;LogLevel=3;};
 ExternalFilters = ();
 ExternalRADIUS = {Enabled=NO;LogLevel=3;};
 HTTPOutputCacheSize = 10;
 HTTPOutputLogLevel = 3;
 HideAccountUnknown = YES;
 LicenseAccepted = #T07-11-2011_16:53:05;
 LogLevel = 3;
 MBOXSizeToIndex = 100M;
 NotifierLogLevel = 1;
 NotifierQueueSize = 100;
 NumLargeBuffers = 10;
 SaveInfoUpdates = YES;
 SeparateAdminRealms = NO;
 TLSAbortOnWrongCert = YES;
 TLSAcceptSSLv2Hello = YES;
 TLSEnableWeak = NO;
 TLSLogLevel = 1;
 TLSProcessDomainNames = YES;
 TLSTimeToLive = 1m;
 TempFilesLogLevel = 1;
 TempFilesReuse = YES;
}
"#;

/// S10 `CGP/Settings/HTTPU.settings`, whole file: nested dictionaries in arrays on one line.
pub const HTTPU_SETTINGS: &str = r#"{
 AIRSYNCLog = 2;
 AdvertiseBasicAUTH = YES;
 AdvertiseDigestAUTH = YES;
 AdvertiseNTLMAUTH = NO;
 AdvertiseNegotiateAUTH = NO;
 CALDAVLog = 3;
 CARDDAVLog = 3;
 CGIExtensions = {pl="/usr/bin/perl";};
 CGIHeaderFields = ();
 FILEDAVLog = 3;
 FileExtensions = {};
 HTTPRequestSizeLimit = 10M;
 Listener = {MaxInputChannels=50;Ports=({PortNumber=8100;},{InitialSecurity=on;PortNumber=9100;});};
 LogLevel = 3;
 PARLAYXLog = 2;
 ScanLargeRequests = NO;
 SupportKeepAlive = YES;
 SystemCGIDirectory = cgi;
}
"#;

/// S10 `CGP/Settings/DomainDefault.settings`, an excerpt (entries left out, bytes of the kept
/// lines as shipped, including the tab before `WebSite,`): multi-line nested dictionaries and
/// arrays, quoted strings with `(`, `)`, `@`, `:`, `=`, `*`, `$`, `~`, `^`, `/`.
pub const DOMAIN_DEFAULT_SETTINGS: &str = r#"{
  AGradeLimit =  "-1";
  AUTHMethods =  All;
  AccessRerouteAddress =  error;
  AccessToUnknown =  Rejected;
  AccountDefaults =  {
    AccessModes =  All;
    AddMailTrailer =  YES;
    BannerInfo =  "";
    CallInpFlow =  ("-1", 3600);
    DefaultWebPage =  default.html;
    FailedLoginFlow =  (10, 1m);
    MaxAccountSize =  unlimited;
    OSUserName =  "*";
    PSTNAreaCode =  "1(415)";
    PSTNEmergency =  "call=sip:911@telnum";
    PSTNFromName =  "$";
    PSTNGatewayAuthName =  "trial-*domain*";
    PSTNGatewayDomain =  pstn.communigate.com;
    PasswordEncryption =  A-crpt;
    RulesAllowed =  "Filter Only";
    ServiceClasses =  {
      groupware =  {
        AccessModes =  (
          26,
          Mail,
          "S/MIME",
          WebCAL,
          HTTP,
	  WebSite,
          FTP
        );
      };
    };
    SyncUserName =  "^0";
  };
  CentralDirectory =  "Keep In Sync";
  MailToAllAction =  "Authenticated Domain Users";
  WebSitePrefix =  "~";
  XIMSSMode =  TCP;
}
"#;

/// S10 `CGP/Settings/WebUserPrefs.settings`, an excerpt (no newline at the end, as shipped).
pub const WEBUSER_PREFS_SETTINGS: &str = r#"{
  Columns =  (Status, From, Subject, Size, Received);
  DeleteMode =  "Move To Trash";
  LanguageMenu =  ();
  ReplyHeader =  "On ^T^N ^F wrote:";
  ReplyQuote =  ">";
  SentBox =  "Sent Items";
  Signature =  "";
  WorkDays =  (Mon, Tue, Wed, Thu, Fri);
}"#;

/// S13 `test/cli_parse_cgp_test.py` `test_parsing_nested_dicts` (the Python literal's `\\\"`
/// is `\"` in the CGP text).
pub const S13_NESTED: &str = r#"{ServiceClasses={Guests={Changed=#T22-10-2009_15:24:45;Folders=(INBOX, "Sent Items");Source=#I[127.127.127.127];};Staff={Source=#I[127.0.0.1]:25;Name="name \"nested\" string";MaxAccounts=#20;};};}"#;

/// S12's INLINE reply to `GetAccountEffectiveSettings`, as reconstructed from its test data
/// (cgp-interface.md §5, LIKELY): the compact one-line form.
pub const S12_EFFECTIVE_SETTINGS: &str = r##"201 {MaxAccountSize=50M;Password=wakka;RulesAllowed="Filter Only";Rules=((1,"#Redirect",(),(("Mirror to",phpunit@null.com),(Discard,"---"))));}"##;

/// S11: the banner recorded from a CGP 7.1.10 server.
pub const BANNER_7_1_10: &str =
    "200 mymail1.webnames.ca CommuniGate Pro PWD Server 7.1.10 ready <50.1733950486@mymail1.webnames.ca>\r\n";

/// S1: the doc's sample session banner (no challenge).
pub const BANNER_DOC: &str = "200 CommuniGate Pro at mail.servername.com PWD Server 5.3 ready\r\n";

/// Every dictionary fixture, for the properties that hold for all of them.
pub const DICTIONARIES: &[&str] = &[
    MAIN_SETTINGS,
    HTTPU_SETTINGS,
    DOMAIN_DEFAULT_SETTINGS,
    WEBUSER_PREFS_SETTINGS,
    S13_NESTED,
    "{Name=Unit;LastName=\"Test da Silva\";}",
    "{}",
    // The shape S9 reads from GetNetwork (keys UseRBL, RBLDomain: an array of strings).
    "{UseRBL=YES;RBLDomain=(\"bl.example.org\",\"zen.spamhaus.org\");}",
];
