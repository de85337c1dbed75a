//! The runners fail where a declaration is wrong, and say where: the protocol step, the
//! validation case, the Terraform. A configuration with no resources keeps them quick.

use uccluster_harness::*;

/// The provider blocks alone: the protocol's own steps run, with nothing to apply.
fn no_resources() -> String {
    cms_unused_provider("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_step_whose_expectation_is_wrong_fails_naming_the_step() {
    let tf = Tf::new("harness-protocol", oldest_terraform());
    Protocol::new(&tf, no_resources())
        .step(Step::new("nothing changes").plan(Plan::any()).empty_plan())
        .run()
        .await;
    let failure = failure_of(
        Protocol::new(&tf, no_resources())
            .step(Step::new("a change expected where there is none").plan(Plan::changes()))
            .run(),
    )
    .await
    .expect_err("a wrong plan expectation must fail");
    assert!(
        failure.starts_with("step `a change expected where there is none: the plan`: ")
            && failure.contains("plan exit code"),
        "{failure}"
    );
    let failure = failure_of(
        Protocol::new(&tf, no_resources())
            .device_clean(async { panic!("the device is not clean") })
            .run(),
    )
    .await
    .expect_err("a failing device-clean check must fail");
    assert_eq!(failure, "step `device clean`: the device is not clean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_configuration_declared_invalid_fails_naming_the_case() {
    let tf = Tf::new("harness-validation", oldest_terraform());
    let nodes = [("10.0.0.1".to_string(), 5222)];
    let valid = callbridge("x", "cb", &nodes, "");
    let cases = Invalid::after(&no_resources(), [(valid, "Invalid port", "got 0", "port")]);
    let failure = failure_of(assert_all_invalid(&tf, &cases))
        .await
        .expect_err("a valid configuration must not pass as invalid");
    assert!(
        failure.starts_with("step `validation case 1 (\"Invalid port\")`: "),
        "{failure}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_case_names_each_terraform_it_failed_on() {
    let failure = failure_of(on_each_terraform("harness-each", |tf| async move {
        panic!("failed on purpose in {}", tf.dir.display())
    }))
    .await
    .expect_err("a failing case must fail");
    for terraform in terraforms() {
        assert!(
            failure.contains(&format!("on Terraform {} (", terraform.version)),
            "{failure}"
        );
    }
}
