//! Compute sub-resources against the AWS emulator: AMI lookup, launch template, Auto Scaling group and
//! scheduled actions, with the sub-resources they refer to.

mod support;

use aws_sdk_ec2::types::LaunchTemplateHttpTokensState;
use ec2fleet::resources::compute::ami::{self, Ami};
use ec2fleet::resources::compute::auto_scaling_group::{self, AutoScalingGroup};
use ec2fleet::resources::compute::launch_template::LaunchTemplate;
use ec2fleet::resources::compute::scheduled_actions::{self, ScheduledActions};
use ec2fleet::resources::delivery::codedeploy_application::CodeDeployApplication;
use ec2fleet::resources::delivery::deployment_group::DeploymentGroup;
use ec2fleet::resources::network::security_group::SecurityGroup;
use ec2fleet::resources::network::vpc::Vpc;
use ec2fleet::resources::{Reconciler, TAG_FLEET};
use support::stacks::{self, Deployable, Group, Identity};

#[tokio::test]
async fn the_launch_template_requires_imdsv2_encrypts_the_root_volume_and_boots_the_fleets_agents()
{
    let f = support::Fleet::new(
        "web-e0e0e0e",
        serde_json::json!({"instanceType": "t3.small", "userData": "echo ready"}),
    )
    .await;
    let cx = f.cx("LaunchTemplate");
    let (vpc_cx, lb_sg_cx, sg_cx) = (
        f.cx("Vpc"),
        f.cx("LoadBalancerSecurityGroup"),
        f.cx("InstanceSecurityGroup"),
    );
    let net = Vpc.apply(&vpc_cx, &stacks::vpc_spec(&f)).await.unwrap();
    let lb_sg = SecurityGroup
        .apply(&lb_sg_cx, &stacks::lb_group_spec(&f, &net))
        .await
        .unwrap();
    let sg = SecurityGroup
        .apply(&sg_cx, &stacks::instance_group_spec(&f, &net, &lb_sg))
        .await
        .unwrap();
    let identity = Identity::create(&f).await;
    let (profile, logs) = (&identity.profile, &identity.logs);
    // The instance type and user data come from the inputs.
    let spec = stacks::launch_template_spec(&f, "ami-0123456789abcdef0".into(), &sg, &identity);

    let lt = LaunchTemplate.apply(&cx, &spec).await.expect("create");
    let versions = f
        .aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&lt.launch_template_id)
        .send()
        .await
        .unwrap();
    let data = versions.launch_template_versions()[0]
        .launch_template_data()
        .unwrap();
    assert_eq!(
        data.metadata_options().and_then(|m| m.http_tokens()),
        Some(&LaunchTemplateHttpTokensState::Required),
        "IMDSv2 required"
    );
    let root = data
        .block_device_mappings()
        .iter()
        .find_map(|m| m.ebs())
        .expect("a root volume mapping");
    assert_eq!(root.encrypted(), Some(true));
    assert_eq!(
        data.security_group_ids(),
        std::slice::from_ref(&sg.group_id)
    );
    assert_eq!(
        data.iam_instance_profile().and_then(|p| p.arn()),
        Some(profile.arn.as_str())
    );
    assert_eq!(data.instance_type().map(|t| t.as_str()), Some("t3.small"));
    let script =
        String::from_utf8(aws_smithy_types::base64::decode(data.user_data().unwrap()).unwrap())
            .unwrap();
    assert!(
        script.contains("aws-codedeploy-us-east-1")
            && script.contains(&logs.name)
            && script.trim_end().ends_with("echo ready"),
        "{script}"
    );
    let instance_tags = data
        .tag_specifications()
        .iter()
        .flat_map(|s| s.tags())
        .any(|t| t.key() == Some(TAG_FLEET) && t.value() == Some("web-e0e0e0e"));
    assert!(
        instance_tags,
        "instances and volumes carry the fleet's tags"
    );

    assert_eq!(
        LaunchTemplate.apply(&cx, &spec).await.unwrap(),
        lt,
        "adopted on a second run"
    );

    LaunchTemplate.delete(&cx, &lt).await.unwrap();
    LaunchTemplate
        .delete(&cx, &lt)
        .await
        .expect("a second delete is done");
    identity.delete(&f).await;
    SecurityGroup.delete(&sg_cx, &sg).await.unwrap();
    SecurityGroup.delete(&lb_sg_cx, &lb_sg).await.unwrap();
    Vpc.delete(&vpc_cx, &net).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn the_ami_is_the_given_one_or_the_latest_amazon_linux_2023_of_the_region_and_architecture() {
    let given = support::Fleet::new(
        "web-a1a1a1a",
        serde_json::json!({"ami": "ami-0123456789abcdef0"}),
    )
    .await;
    let image = |f: &support::Fleet| ami::Spec {
        image: f.args.ami.clone(),
        instance_type: f.args.instance_type.clone(),
    };
    assert_eq!(
        Ami.apply(&given.cx("Ami"), &image(&given)).await.unwrap(),
        "ami-0123456789abcdef0"
    );
    // Graviton types get the arm64 image: an x86_64 one would not boot on them.
    for (instance_type, arch) in [
        ("t3.micro", "x86_64"),
        ("t4g.small", "arm64"),
        ("c7g.large", "arm64"),
    ] {
        let latest = support::Fleet::new(
            "web-a2a2a2a",
            serde_json::json!({"instanceType": instance_type}),
        )
        .await;
        let id = Ami.apply(&latest.cx("Ami"), &image(&latest)).await.unwrap();
        let want = latest
            .aws
            .ssm
            .get_parameter()
            .name(ami::latest_al2023(arch))
            .send()
            .await
            .unwrap();
        assert_eq!(
            Some(id.as_str()),
            want.parameter().and_then(|p| p.value()),
            "{instance_type}"
        );
        assert!(id.starts_with("ami-"), "{id}");
    }
    let x86 = given
        .aws
        .ssm
        .get_parameter()
        .name(ami::latest_al2023("x86_64"))
        .send()
        .await
        .unwrap();
    let arm = given
        .aws
        .ssm
        .get_parameter()
        .name(ami::latest_al2023("arm64"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        x86.parameter().and_then(|p| p.value()),
        arm.parameter().and_then(|p| p.value()),
        "the two architectures have different images"
    );
}

#[tokio::test]
async fn the_group_spreads_over_three_zones_in_the_target_group_and_is_adopted() {
    let f = support::Fleet::new("web-a5a5a5a", serde_json::json!({})).await;
    let cx = f.cx("AutoScalingGroup");
    let group = Group::create(&f).await;
    let (inputs, asg) = (&group.inputs, &group.asg);
    let g = support::describe_group(&f.aws, &asg.name).await;
    assert_eq!(
        (g.min_size(), g.max_size(), g.desired_capacity()),
        (Some(3), Some(4), Some(3))
    );
    assert_eq!(g.target_group_arns(), std::slice::from_ref(&inputs.tg.arn));
    let zones: std::collections::BTreeSet<_> = g
        .instances()
        .iter()
        .filter_map(|i| i.availability_zone())
        .collect();
    assert_eq!(zones.len(), 3, "one instance per zone: {zones:?}");
    assert_eq!(
        &AutoScalingGroup.apply(&cx, &group.spec).await.unwrap(),
        asg,
        "adopted on a second run"
    );

    AutoScalingGroup.delete(&cx, asg).await.unwrap();
    AutoScalingGroup
        .delete(&cx, asg)
        .await
        .expect("a second delete is done");
    inputs.delete(&f).await;
    f.assert_no_leaks();
}

#[tokio::test]
async fn the_group_keeps_the_seeds_schedule_and_a_deleted_action_shows_as_drift_and_comes_back() {
    let f = support::Fleet::new("web-a6a6a6a", serde_json::json!({})).await;
    let group = Group::create(&f).await;
    let asg = &group.asg;
    let sched_cx = f.cx("ScheduledActions");
    let sched_spec = scheduled_actions::Spec {
        group: asg.clone(),
        actions: f.args.scheduled_actions.clone(),
    };
    let sched = ScheduledActions
        .apply(&sched_cx, &sched_spec)
        .await
        .expect("scheduled actions");
    assert_eq!(sched.names, vec!["ScaleUpInMorning", "ScaleDownAtNight"]);
    let live = f
        .aws
        .autoscaling
        .describe_scheduled_actions()
        .auto_scaling_group_name(&asg.name)
        .send()
        .await
        .unwrap();
    let morning = live
        .scheduled_update_group_actions()
        .iter()
        .find(|a| a.scheduled_action_name() == Some("ScaleUpInMorning"))
        .unwrap();
    assert_eq!(
        (morning.recurrence(), morning.min_size(), morning.max_size()),
        (Some("0 10 * * *"), Some(4), Some(4))
    );

    // Someone deletes an action in the console: read shows it, the next create restores it.
    f.aws
        .autoscaling
        .delete_scheduled_action()
        .auto_scaling_group_name(&asg.name)
        .scheduled_action_name("ScaleDownAtNight")
        .send()
        .await
        .unwrap();
    let read = ScheduledActions.read(&sched_cx, &sched).await.unwrap();
    assert_eq!(
        read.expect("the record stays while its group does").names,
        vec!["ScaleUpInMorning"]
    );
    assert_eq!(
        ScheduledActions
            .apply(&sched_cx, &sched_spec)
            .await
            .unwrap(),
        sched
    );

    ScheduledActions.delete(&sched_cx, &sched).await.unwrap();
    group.delete(&f).await;
    f.assert_no_leaks();
}

#[tokio::test]
async fn codedeploy_deploys_to_the_group_half_at_a_time_through_its_target_group() {
    let f = support::Fleet::new("web-a7a7a7a", serde_json::json!({})).await;
    let (app_cx, dg_cx) = (f.cx("CodeDeployApplication"), f.cx("DeploymentGroup"));
    let d = Deployable::build(&f).await;
    let (asg, tg) = (&d.group.asg, &d.group.inputs.tg);
    let got = f
        .aws
        .codedeploy
        .get_deployment_group()
        .application_name(&d.app.name)
        .deployment_group_name(&d.dg.name)
        .send()
        .await
        .unwrap();
    let info = got.deployment_group_info().unwrap();
    assert_eq!(
        info.deployment_config_name(),
        Some("CodeDeployDefault.HalfAtATime")
    );
    assert_eq!(
        info.auto_scaling_groups()[0].name(),
        Some(asg.name.as_str())
    );
    assert_eq!(
        info.load_balancer_info().unwrap().target_group_info_list()[0].name(),
        Some(tg.name.as_str())
    );
    assert_eq!(
        CodeDeployApplication.apply(&app_cx, &()).await.unwrap(),
        d.app,
        "the application is adopted"
    );
    assert_eq!(
        DeploymentGroup.apply(&dg_cx, &d.dg_spec).await.unwrap(),
        d.dg,
        "the group is updated in place"
    );
    d.delete(&f).await;
    f.assert_no_leaks();
}

/// The morning schedule has put the group at 4/4/4. An update whose inputs leave the capacities as
/// they were (a new tag, a new health-check path) re-applies the group with `previous` sizes equal
/// to the wanted ones: the group keeps the schedule's sizes, and only a changed size is sent.
#[tokio::test]
async fn an_unrelated_update_keeps_the_sizes_the_schedule_set() {
    let f = support::Fleet::new("web-b7b7b7b", serde_json::json!({})).await;
    let group = Group::create(&f).await;
    let cx = f.cx("AutoScalingGroup");
    let sizes = |min, max, desired| auto_scaling_group::Capacity { min, max, desired };
    assert_eq!(group.spec.sizes, sizes(3, 4, 3), "the seed's capacities");
    f.aws
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name(&group.asg.name)
        .min_size(4)
        .max_size(4)
        .desired_capacity(4)
        .send()
        .await
        .unwrap();
    let update = |want| auto_scaling_group::Spec {
        sizes: want,
        previous: Some(group.spec.sizes),
        ..group.inputs.group_spec(&f)
    };
    let live = || async {
        let read = AutoScalingGroup.read(&cx, &group.asg).await.unwrap();
        read.expect("the group").capacity.expect("its live sizes")
    };
    AutoScalingGroup
        .apply(&cx, &update(sizes(3, 4, 3)))
        .await
        .expect("an unrelated update");
    assert_eq!(live().await, sizes(4, 4, 4), "the schedule's sizes stay");

    // A changed maximum is sent, and only it: the schedule's minimum and desired size stay.
    AutoScalingGroup
        .apply(&cx, &update(sizes(3, 6, 3)))
        .await
        .expect("a new maximum");
    assert_eq!(live().await, sizes(4, 6, 4));
    group.delete(&f).await;
    f.assert_no_leaks();
}
