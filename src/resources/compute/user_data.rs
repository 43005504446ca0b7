//! The instances' boot script: Node.js, the CodeDeploy agent from the fleet's own region (the seed
//! hard-coded eu-west-2), and the CloudWatch agent shipping the app's logs to the fleet's log group (the
//! seed left them on each instance). The user's extra commands run last.

use serde_json::json;

/// Where the app's process manager writes logs; the CloudWatch agent tails it.
pub const APP_LOG: &str = "/var/log/ec2fleet/app.log";

/// The line after which the user's own commands follow.
const USER_DATA_MARKER: &str = "# user data from the fleet's userData input";

/// What the script needs to know.
pub struct Inputs<'a> {
    /// The fleet's region (for the CodeDeploy agent's bucket).
    pub region: &'a str,
    /// Node.js major version.
    pub node_version: &'a str,
    /// The log group's name.
    pub log_group: &'a str,
    /// The port the app (and, until the first release, the placeholder) listens on.
    pub app_port: u16,
    /// The load balancer's health-check path.
    pub health_path: &'a str,
    /// The user's extra commands.
    pub extra: Option<&'a str>,
}

/// Where the placeholder's files live.
const PLACEHOLDER: &str = "/opt/ec2fleet/placeholder";

/// `s` as one shell word, whatever it holds: single-quoted, each `'` written as `'\''`. Values from
/// the inputs (the health-check path may hold quotes, `$(...)`, `&` or a newline, all of which the
/// load balancer accepts) must never reach the root boot script as code.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Where CodeDeploy unpacks each release it downloads (one directory per group and deployment).
const RELEASE_ARCHIVES: &str = "/opt/codedeploy-agent/deployment-root/*/*/deployment-archive";

/// A shell command that waits until something matches `glob` (checked every second), then runs
/// `then`. Polling, not a systemd path unit: a path unit cannot watch wildcards in directory names.
fn when_present(glob: &str, then: &str) -> String {
    format!("until compgen -G \"{glob}\" >/dev/null; do sleep 1; done; {then}")
}

/// Until the first release, a tiny server answers the health check on the app port, so a new fleet
/// is healthy (and the group does not replace its instances) before anything is deployed. A watcher
/// stops it as soon as CodeDeploy has downloaded a release, before the release's start hooks run.
/// Both start last, after every install succeeded (the script stops at the first failure), so an
/// instance whose agents are missing never looks healthy; and for this boot only: after a reboot
/// the release owns the port.
fn placeholder(port: u16, health_path: &str) -> String {
    let health = if health_path.ends_with('/') {
        format!("{health_path}index.html")
    } else {
        health_path.to_string()
    };
    let answer = quoted(&format!("{PLACEHOLDER}{health}"));
    let watch = when_present(
        RELEASE_ARCHIVES,
        "systemctl stop ec2fleet-placeholder.service",
    );
    format!(
        r#"
# Placeholder on port {port} until the first release (answers the health-check path)
mkdir -p "$(dirname {answer})"
echo "ec2fleet: no release deployed yet" > {PLACEHOLDER}/index.html
echo ok > {answer}
cat > /etc/systemd/system/ec2fleet-placeholder.service <<'UNIT'
[Unit]
Description=ec2fleet placeholder answering health checks until the first release
[Service]
ExecStart=/usr/bin/python3 -m http.server {port} --directory {PLACEHOLDER}
UNIT
cat > /etc/systemd/system/ec2fleet-release-watch.service <<'UNIT'
[Unit]
Description=Stop the ec2fleet placeholder once CodeDeploy has downloaded a release
[Service]
ExecStart=/bin/bash -c '{watch}'
UNIT
systemctl daemon-reload
compgen -G "{RELEASE_ARCHIVES}" >/dev/null || systemctl start ec2fleet-placeholder.service ec2fleet-release-watch.service
"#
    )
}

/// The CloudWatch agent's configuration.
fn agent_config(log_group: &str) -> String {
    json!({
        "logs": {"logs_collected": {"files": {"collect_list": [
            {"file_path": APP_LOG, "log_group_name": log_group, "log_stream_name": "{instance_id}"}
        ]}}}
    })
    .to_string()
}

/// The whole script.
pub fn script(i: &Inputs) -> String {
    let major = i.node_version.split('.').next().unwrap_or(i.node_version);
    let region = i.region;
    let mut s = format!(
        r#"#!/bin/bash
# ec2fleet boot script
set -euxo pipefail
export HOME=/root
mkdir -p "$(dirname {APP_LOG})"

# Node.js {major} from the distribution's packages
dnf install -y "nodejs{major}" "nodejs{major}-npm" || dnf install -y nodejs npm
command -v node || ln -s "$(ls /usr/bin/node-* | head -n1)" /usr/bin/node

# CodeDeploy agent, from this region's bucket
dnf install -y ruby wget
cd /tmp
wget -q "https://aws-codedeploy-{region}.s3.{region}.amazonaws.com/latest/install"
chmod +x ./install
./install auto
systemctl enable --now codedeploy-agent

# CloudWatch agent: the app's log to the fleet's log group
dnf install -y amazon-cloudwatch-agent
cat > /opt/aws/amazon-cloudwatch-agent/etc/ec2fleet.json <<'CWAGENT'
{config}
CWAGENT
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/ec2fleet.json
{placeholder}"#,
        config = agent_config(i.log_group),
        placeholder = placeholder(i.app_port, i.health_path)
    );
    if let Some(extra) = i.extra {
        // The user's commands may carry secrets: no trace of them in the console output or the
        // cloud-init log.
        s.push_str("set +x\n");
        s.push_str(USER_DATA_MARKER);
        s.push('\n');
        s.push_str(extra);
        s.push('\n');
    }
    s
}

/// What a script made by [`script`] says about its inputs: the Node.js major version and the user's
/// extra commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The Node.js major version, when the script names one.
    pub node_version: Option<String>,
    /// The user's extra commands.
    pub extra: Option<String>,
}

/// Reads the inputs back out of a script made by [`script`].
pub fn parse(script: &str) -> Parsed {
    let node_version = script.split("\"nodejs").nth(1).and_then(|rest| {
        let major: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!major.is_empty() && rest[major.len()..].starts_with('"')).then_some(major)
    });
    let marker = format!("\n{USER_DATA_MARKER}\n");
    let extra = script
        .split_once(&marker)
        .map(|(_, rest)| rest.strip_suffix('\n').unwrap_or(rest).to_string());
    Parsed {
        node_version,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(extra: Option<&str>) -> Inputs<'_> {
        Inputs {
            region: "ap-southeast-2",
            node_version: "22",
            log_group: "/ec2fleet/web/app",
            app_port: 3000,
            health_path: "/health",
            extra,
        }
    }

    #[test]
    fn a_placeholder_answers_the_health_check_until_codedeploy_brings_a_release() {
        let s = script(&inputs(None));
        assert!(
            s.contains("http.server 3000 --directory /opt/ec2fleet/placeholder"),
            "{s}"
        );
        assert!(
            s.contains("echo ok > '/opt/ec2fleet/placeholder/health'"),
            "{s}"
        );
        assert!(s.contains("systemctl stop ec2fleet-placeholder.service"));
        assert!(
            !s.contains("PathExistsGlob") && !s.contains(".path"),
            "no path unit: systemd cannot watch wildcards in directory names"
        );
        // Started for this boot only: after a reboot the app, not the placeholder, owns the port.
        assert!(!s.contains("enable ec2fleet") && !s.contains("enable --now ec2fleet"));
        // Started last: an instance whose agents failed to install never answers health checks.
        let start = s.find("systemctl start ec2fleet-placeholder").unwrap();
        for install in ["./install auto", "amazon-cloudwatch-agent-ctl", "nodejs22"] {
            assert!(s.find(install).unwrap() < start, "{install} comes first");
        }
        let dir = script(&Inputs {
            health_path: "/api/ready/",
            ..inputs(None)
        });
        assert!(
            dir.contains("echo ok > '/opt/ec2fleet/placeholder/api/ready/index.html'"),
            "{dir}"
        );
    }

    #[test]
    fn the_watcher_waits_for_a_release_archive_in_any_group_and_deployment() {
        let root = std::env::temp_dir().join(format!("ec2fleet-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let glob = format!("{}/*/*/deployment-archive", root.display());
        let done = root.join("stopped");
        let then = format!("touch {}", done.display());
        let mut watch = std::process::Command::new("bash")
            .arg("-c")
            .arg(when_present(&glob, &then))
            .spawn()
            .expect("bash");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert!(!done.exists(), "nothing deployed yet");
        let archive = root
            .join("d-group")
            .join("d-ABC123")
            .join("deployment-archive");
        std::fs::create_dir_all(&archive).unwrap();
        let status = watch.wait().expect("the watcher ends");
        assert!(status.success() && done.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_codedeploy_agent_comes_from_the_fleets_own_region() {
        let s = script(&inputs(None));
        assert!(s.contains(
            "https://aws-codedeploy-ap-southeast-2.s3.ap-southeast-2.amazonaws.com/latest/install"
        ));
        assert!(!s.contains("eu-west-2"));
    }

    #[test]
    fn logs_ship_to_the_fleets_log_group_and_node_is_the_asked_version() {
        let s = script(&inputs(None));
        assert!(s.contains(r#""log_group_name":"/ec2fleet/web/app""#), "{s}");
        assert!(s.contains("nodejs22"));
        assert!(s.starts_with("#!/bin/bash\n"));
    }

    #[test]
    fn the_inputs_read_back_out_of_the_script() {
        let extra = "echo hello\n# user data from the fleet's userData input\necho again";
        let parsed = parse(&script(&Inputs {
            node_version: "20",
            ..inputs(Some(extra))
        }));
        assert_eq!(parsed.node_version.as_deref(), Some("20"));
        assert_eq!(parsed.extra.as_deref(), Some(extra));
        let plain = parse(&script(&inputs(None)));
        assert_eq!(
            plain,
            Parsed {
                node_version: Some("22".into()),
                extra: None
            }
        );
        assert_eq!(parse("#!/bin/bash\n").node_version, None);
    }

    #[test]
    fn user_commands_run_last_and_untraced() {
        let s = script(&inputs(Some("echo hello")));
        assert!(s.trim_end().ends_with("echo hello"));
        let (before, after) = s.split_once(USER_DATA_MARKER).unwrap();
        assert!(before.contains("set -euxo pipefail"));
        assert!(
            before.ends_with("set +x\n"),
            "tracing stops before the user's commands"
        );
        assert!(!after.contains("set -x"));
    }

    #[test]
    fn a_health_path_reaches_the_boot_script_as_data_never_as_code() {
        let hostile = [
            "/it's",
            "/$(touch /tmp/pwned)",
            "/`id`",
            "/a&b;c|d",
            "/x\necho pwned",
            "/'; rm -rf / #",
        ];
        for path in hostile {
            // The shell reads the word back as exactly the path.
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!("printf %s {}", quoted(path)))
                .output()
                .expect("bash");
            assert_eq!(String::from_utf8_lossy(&out.stdout), path);
            // And the whole script still parses, the path only inside that word.
            let s = script(&Inputs {
                health_path: path,
                ..inputs(None)
            });
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg("-c")
                .arg(&s)
                .output()
                .expect("bash -n");
            assert!(check.status.success(), "{path:?}: {s}");
            let word = quoted(&format!("{PLACEHOLDER}{path}"));
            assert!(s.contains(&format!("echo ok > {word}\n")), "{path:?}: {s}");
        }
    }
}
