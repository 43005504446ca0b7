//! A launch Auto Scaling cannot make fails the wait at once with AWS's reason, instead of waiting
//! out the deadline; once the input is fixed the next run finishes the fleet. The image exists when
//! the fleet is made (the preflight would catch a missing one) and is deregistered afterwards, as
//! when its owner withdraws it.

mod support;

use ec2fleet::aws::Error;
use ec2fleet::fleet::apply::apply;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::{ready, Node, Records};
use serde_json::json;
use support::{never_cancelled, quiet};

/// A copy of one of the region's x86_64 images, owned by the test's account.
async fn own_image(aws: &ec2fleet::aws::Clients) -> String {
    let base = aws
        .ec2
        .describe_images()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("architecture")
                .values("x86_64")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let source = base.images()[0].image_id().unwrap();
    let copy = aws
        .ec2
        .copy_image()
        .name(format!("web-{}", aws.region))
        .source_image_id(source)
        .source_region(&aws.region)
        .send()
        .await
        .unwrap();
    copy.image_id().unwrap().to_string()
}

async fn deregister(aws: &ec2fleet::aws::Clients, image: &str) {
    aws.ec2
        .deregister_image()
        .image_id(image)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_launch_that_fails_stops_the_wait_with_aws_reason_and_a_fixed_input_finishes_it() {
    let account = support::fresh_account();
    let aws = support::clients(&account).await;
    let image = own_image(&aws).await;
    let inputs = |ami: &str, desired: u32| json!({"ami": ami, "desiredCapacity": desired, "cdn": {"enabled": false}});
    let f = support::Fleet::in_account(&account, "web-lf1a2b3", inputs(&image, 3)).await;
    let rx = never_cancelled();
    let cx = f.fleet(None);
    let made = apply(&cx, Records::default(), true, rx.clone(), &quiet)
        .await
        .expect("create");
    ready::wait(&cx, &made).await.expect("the fleet serves");

    // The image goes, and the group is asked for one more instance (as its schedule or a scaling
    // policy would): Auto Scaling cannot launch it. (An update naming the gone image is refused
    // by UpdateAutoScalingGroup itself, in AWS's words, before any wait.)
    deregister(&aws, &image).await;
    let group = made.auto_scaling_group.clone().unwrap().name;
    aws.autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name(&group)
        .desired_capacity(4)
        .send()
        .await
        .unwrap();
    let more = support::Fleet::in_account(&account, "web-lf1a2b3", inputs(&image, 4)).await;
    let cx = more.fleet(None);
    let (node, err) = ready::wait(&cx, &made)
        .await
        .expect_err("no fourth instance");
    assert_eq!(node, Node::AutoScalingGroup);
    let Error::Failed { reason, .. } = &err else {
        panic!("a failed launch, not a wait that ran out: {err}");
    };
    assert!(reason.contains("3 of 4 in service"), "{reason}");
    assert!(
        reason.contains(&format!("The image id '[{image}]' does not exist")),
        "{reason}"
    );

    // A new image fixes it: the next run rolls onto it and the fleet serves with four.
    let fixed = own_image(&aws).await;
    let good = support::Fleet::in_account(&account, "web-lf1a2b3", inputs(&fixed, 4)).await;
    let cx = good.fleet(None);
    let records = apply(&cx, made, false, rx.clone(), &quiet)
        .await
        .expect("update");
    ready::wait(&cx, &records)
        .await
        .expect("the fleet serves with the new image");
    let group =
        support::describe_group(&aws, &records.auto_scaling_group.as_ref().unwrap().name).await;
    assert_eq!(group.instances().len(), 4);

    destroy(&cx, &records, rx, &quiet).await.expect("delete");
    deregister(&aws, &fixed).await;
    f.assert_no_leaks();
}
