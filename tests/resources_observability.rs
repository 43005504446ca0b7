//! The log group against the AWS emulator.

mod support;

use ec2fleet::resources::observability::log_group::{self, LogGroup};
use ec2fleet::resources::Reconciler;

#[tokio::test]
async fn the_log_group_is_tagged_retained_for_30_days_adopted_and_deleted() {
    let f = support::Fleet::new("web-d0d0d0d", serde_json::json!({"tags": {"team": "blue"}})).await;
    let cx = f.cx("LogGroup");
    let made = LogGroup.apply(&cx, &()).await.expect("create");
    assert_eq!(made.name, "/ec2fleet/web-d0d0d0d/app");
    assert!(
        made.arn.ends_with(":log-group:/ec2fleet/web-d0d0d0d/app"),
        "{}",
        made.arn
    );
    let groups = f
        .aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&made.name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        groups.log_groups()[0].retention_in_days(),
        Some(log_group::RETENTION_DAYS)
    );
    let tags = f
        .aws
        .logs
        .list_tags_for_resource()
        .resource_arn(&made.arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().and_then(|t| t.get("team")).map(String::as_str),
        Some("blue")
    );
    assert_eq!(
        LogGroup.apply(&cx, &()).await.unwrap(),
        made,
        "adopted on a second run"
    );
    LogGroup.delete(&cx, &made).await.unwrap();
    LogGroup
        .delete(&cx, &made)
        .await
        .expect("a second delete is done");
    assert_eq!(LogGroup.read(&cx, &made).await.unwrap(), None);
    f.assert_no_leaks();
}
