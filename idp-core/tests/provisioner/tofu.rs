//! The OpenTofu provisioner's command contract.
//!
//! This tests the command contract with a fixture executable (`fake_tofu.rs`); no OpenTofu
//! binary runs here.

use std::path::Path;
use std::time::Duration;

use idp_core::adapters::tofu::{TofuConfig, TofuProvisioner};
use idp_core::domain::template::TemplateName;
use idp_core::ports::{ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth};
use serde_json::json;

use super::fake_tofu::Fixture;
use super::{process_alive, request};

fn with_vars(mut request: ProvisionRequest) -> ProvisionRequest {
    let vars = json!({
        "environment_name": "preview-a",
        "container_port": 3000,
        "environment_variables": {"NODE_ENV": "preview"},
        "secret_variables": {"API_KEY": "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/api-key-AbCdEf"}
    });
    let serde_json::Value::Object(map) = vars else {
        unreachable!()
    };
    request.tfvars = map;
    request
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn apply_runs_init_with_the_backend_config_then_apply_then_output() {
    let fx = Fixture::new();
    let request = with_vars(request("preview-a"));
    let outputs = fx.provisioner.apply(&request).await.unwrap();

    let calls = fx.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(
        strs(&calls[0].args),
        [
            "init",
            "-no-color",
            "-input=false",
            "-reconfigure",
            "-backend-config=bucket=idp-state-123456789012",
            "-backend-config=key=environments/preview-a/terraform.tfstate",
            "-backend-config=region=us-east-1",
            "-backend-config=dynamodb_table=idp-locks",
            "-backend-config=encrypt=true",
        ]
    );
    let var_file = std::fs::read_to_string(fx.bin("varfile-path-apply")).unwrap();
    assert_eq!(
        strs(&calls[1].args),
        [
            "apply",
            "-no-color",
            "-input=false",
            "-auto-approve",
            "-lock-timeout=5m",
            &format!("-var-file={var_file}"),
        ]
    );
    assert_eq!(strs(&calls[2].args), ["output", "-no-color", "-json"]);
    for call in &calls {
        // Every command runs in the environment's working copy, never in the templates.
        assert_eq!(call.cwd, fx.working_copy("preview-a"));
        let data_dir = fx.dir.path().join("data/preview-a");
        assert_eq!(
            call.env,
            format!(
                "TF_IN_AUTOMATION=1 TF_INPUT=0 TF_DATA_DIR={}",
                data_dir.display()
            )
        );
    }

    // The var file held exactly the tfvars and is gone afterwards.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx.bin("varfile-apply")).unwrap()).unwrap();
    assert_eq!(written, serde_json::Value::Object(request.tfvars.clone()));
    assert!(!Path::new(&var_file).exists(), "{var_file} was left behind");

    // Outputs are flattened; the sensitive one is masked everywhere it could be printed.
    assert_eq!(
        outputs.endpoint(),
        Some("https://preview-a.preview.example.com")
    );
    assert_eq!(
        outputs.get("subnet_ids"),
        Some(&json!(["subnet-0a1b2c3d", "subnet-4e5f6a7b"]))
    );
    assert_eq!(outputs.get("db_password"), None);
    assert_eq!(
        outputs.secret("db_password").unwrap().expose(),
        &json!("s3cr3t-db-password")
    );
    let shown = format!(
        "{outputs} {outputs:?} {}",
        serde_json::to_string(&outputs).unwrap()
    );
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert_eq!(
        serde_json::to_value(&outputs).unwrap()["db_password"],
        json!("****")
    );
}

#[tokio::test]
async fn an_endpoint_override_reaches_the_backend_the_provider_and_the_child_environment() {
    let mut fx = Fixture::new();
    fx.provisioner = TofuProvisioner::new(
        fx.config()
            .clone()
            .with_endpoint_url("http://127.0.0.1:5055"),
    );
    fx.provisioner.apply(&request("preview-a")).await.unwrap();
    let calls = fx.calls();
    let init = strs(&calls[0].args);
    let expected = idp_core::adapters::tofu::endpoint_backend_config("http://127.0.0.1:5055");
    assert_eq!(&init[init.len() - expected.len()..], strs(&expected));
    assert!(
        init.contains(&r#"-backend-config=endpoints={s3="http://127.0.0.1:5055",dynamodb="http://127.0.0.1:5055",sts="http://127.0.0.1:5055"}"#),
        "{init:?}"
    );
    for call in &calls {
        assert!(
            call.env
                .ends_with(" AWS_ENDPOINT_URL=http://127.0.0.1:5055"),
            "{}",
            call.env
        );
    }
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            fx.working_copy("preview-a")
                .join(idp_core::adapters::tofu::ENDPOINT_OVERRIDE_FILE),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        written,
        idp_core::adapters::tofu::endpoint_override_document()
    );
    // Nothing was written into the templates directory.
    assert_eq!(std::fs::read_dir(fx.template_dir()).unwrap().count(), 0);
}

#[tokio::test]
async fn without_an_endpoint_no_override_is_written_and_no_endpoint_is_set() {
    let fx = Fixture::new();
    fx.provisioner.apply(&request("preview-a")).await.unwrap();
    let calls = fx.calls();
    assert!(
        !calls[0].args.iter().any(|a| a.contains("endpoints")),
        "{:?}",
        calls[0].args
    );
    assert!(
        !calls[0].env.contains("AWS_ENDPOINT_URL"),
        "{}",
        calls[0].env
    );
    assert!(
        !fx.working_copy("preview-a")
            .join(idp_core::adapters::tofu::ENDPOINT_OVERRIDE_FILE)
            .exists()
    );
}

#[tokio::test]
async fn an_environment_in_another_region_keeps_its_state_in_the_platforms_bucket_and_gets_its_own_data_dir()
 {
    let fx = Fixture::new();
    let mut request = request("preview-a");
    request.region = Some("eu-west-1".to_owned());
    request.state_key = "environments/preview-a/eu-west-1/terraform.tfstate".to_owned();
    fx.provisioner.outputs(&request).await.unwrap();
    let calls = fx.calls();
    // The state bucket is in the platform's region; the provider's region is the tfvars'.
    assert!(
        calls[0]
            .args
            .contains(&"-backend-config=region=us-east-1".to_owned()),
        "{:?}",
        calls[0].args
    );
    assert!(calls[0].args.contains(
        &"-backend-config=key=environments/preview-a/eu-west-1/terraform.tfstate".to_owned()
    ));
    assert!(
        calls[0].env.ends_with("data/preview-a.eu-west-1"),
        "{}",
        calls[0].env
    );
}

#[tokio::test]
async fn destroy_runs_init_then_destroy_with_the_var_file_and_is_idempotent() {
    let fx = Fixture::new();
    let request = with_vars(request("preview-a"));
    fx.provisioner.destroy(&request).await.unwrap();
    fx.provisioner.destroy(&request).await.unwrap();
    let calls = fx.calls();
    assert_eq!(calls.len(), 4);
    let var_file = std::fs::read_to_string(fx.bin("varfile-path-destroy")).unwrap();
    assert_eq!(calls[2].args[0], "init");
    // The second destroy's var file is the one the fixture kept.
    assert_eq!(
        strs(&calls[3].args),
        [
            "destroy",
            "-no-color",
            "-input=false",
            "-auto-approve",
            "-lock-timeout=5m",
            &format!("-var-file={var_file}"),
        ]
    );
    assert!(!Path::new(&var_file).exists());
}

#[tokio::test]
async fn a_failing_step_is_failed_with_its_exit_code_and_a_redacted_stderr_tail() {
    let fx = Fixture::new();
    let noise: String = (0..200).map(|i| format!("progress line {i}\n")).collect();
    fx.fail(
        "apply",
        3,
        &format!(
            "{noise}Error: reading secret arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/api-key-AbCdEf: AccessDenied\n"
        ),
    );
    let error = fx
        .provisioner
        .apply(&with_vars(request("preview-a")))
        .await
        .unwrap_err();
    let ProvisionError::Failed {
        step,
        exit_code,
        stderr_tail,
    } = &error
    else {
        panic!("expected Failed, got {error:?}");
    };
    assert_eq!(step, "tofu apply");
    assert_eq!(*exit_code, Some(3));
    assert!(
        stderr_tail.ends_with("Error: reading secret ****: AccessDenied"),
        "{stderr_tail}"
    );
    assert!(stderr_tail.lines().count() <= idp_core::ports::provisioner::MAX_TAIL_LINES);
    assert!(!format!("{error} {error:?}").contains("api-key-AbCdEf"));
    assert_eq!(fx.calls().len(), 2, "no `output` after a failed apply");
}

#[tokio::test]
async fn a_hanging_step_times_out_and_its_whole_process_group_is_gone() {
    let fx = Fixture::with_timeout(Duration::from_millis(1500));
    std::fs::write(fx.bin("hang-init"), "").unwrap();
    let error = fx
        .provisioner
        .apply(&request("preview-a"))
        .await
        .unwrap_err();
    let ProvisionError::Timeout {
        after, output_tail, ..
    } = &error
    else {
        panic!("expected Timeout, got {error:?}");
    };
    assert_eq!(*after, Duration::from_millis(1500));
    assert!(
        output_tail.contains("Acquiring state lock"),
        "{output_tail}"
    );
    for file in ["pid", "grandchild"] {
        let pid: u32 = std::fs::read_to_string(fx.bin(file))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // SIGKILL went to the whole group before the error returned; the kernel may take a
        // moment to tear a process down on a loaded machine, so allow a bounded wait.
        for _ in 0..250 {
            if !process_alive(pid) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!process_alive(pid), "{file} {pid} still runs");
    }
    assert_eq!(fx.calls().len(), 1);
}

#[tokio::test]
async fn a_template_name_with_dot_dot_is_refused_before_any_process_starts() {
    let fx = Fixture::new();
    let mut request = request("preview-a");
    // Deserialized names are not validated by the type; the adapter checks again.
    request.template = serde_json::from_value::<TemplateName>(json!("../../etc")).unwrap();
    let error = fx.provisioner.apply(&request).await.unwrap_err();
    assert!(
        matches!(error, ProvisionError::InvalidRequest { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("`../../etc`"), "{error}");
    assert!(fx.calls().is_empty());
    assert!(fx.provisioner.destroy(&request).await.is_err());
    assert!(fx.calls().is_empty());
}

#[tokio::test]
async fn an_unknown_template_is_refused_with_a_hint() {
    let fx = Fixture::new();
    let mut request = request("preview-a");
    request.template = TemplateName::new("api-database").unwrap();
    let error = fx.provisioner.apply(&request).await.unwrap_err();
    assert!(error.to_string().contains("idp templates"), "{error}");
    assert!(fx.calls().is_empty());
}

#[tokio::test]
async fn outputs_of_an_empty_state_are_not_found() {
    let fx = Fixture::new();
    std::fs::write(fx.bin("output.json"), "{}\n").unwrap();
    let error = fx
        .provisioner
        .outputs(&request("preview-a"))
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn a_missing_binary_is_unavailable_and_says_what_to_install() {
    let fx = Fixture::new();
    let mut config = TofuConfig::new(
        fx.dir.path().join("templates"),
        fx.dir.path().join("data"),
        "b",
        "t",
        "us-east-1",
    );
    config.program = fx.dir.path().join("no-such-tofu");
    let error = TofuProvisioner::new(config)
        .apply(&request("preview-a"))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ProvisionError::Unavailable {
            retryable: false,
            ..
        }
    ));
    let chain = std::error::Error::source(&error).unwrap().to_string();
    assert!(chain.contains("install OpenTofu"), "{chain}");
}

#[tokio::test]
async fn tofu_health_is_explicitly_unknown() {
    let fx = Fixture::new();
    let health = fx.provisioner.health(&request("preview-a")).await.unwrap();
    assert_eq!(health, RuntimeHealth::Unknown);
    assert!(fx.calls().is_empty());
}
