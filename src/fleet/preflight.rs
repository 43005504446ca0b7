//! Read-only checks before a create or update makes or changes anything: what Check cannot know
//! without asking AWS. The AMI exists and runs on the instance type, the key pair exists, the type
//! is offered in every chosen zone, the deployment configuration exists, the certificates exist, are
//! issued and cover the aliases, and the hosted zone exists, is public and is the one named. The
//! questions go out together, each service asked once, and every problem found is reported at once.

use aws_sdk_codedeploy::types::{MinimumHealthyHosts, MinimumHealthyHostsType};
use aws_sdk_ec2::types::{Filter, ImageState, InstanceType, LocationType};

use super::args::{Dns, FleetArgs};
use super::InputError;
use crate::aws::error::{on, ErrorClass};
use crate::aws::{Clients, Error};

/// Problems found, each naming the input it is about.
type Found = Result<Vec<InputError>, Error>;

fn problem(property: impl Into<String>, reason: impl Into<String>) -> InputError {
    InputError {
        property: property.into(),
        reason: reason.into(),
    }
}

/// Every problem AWS's answers show with `args`; an error only when AWS could not be asked.
pub async fn check(aws: &Clients, args: &FleetArgs) -> Result<Vec<InputError>, Error> {
    let (image, key, zones, config, certs, zone) = futures::join!(
        image(aws, args),
        key_pair(aws, args),
        offered(aws, args),
        deployment_config(aws, args),
        certificates(aws, args),
        hosted_zone(aws, args),
    );
    let mut out = Vec::new();
    for found in [image, key, zones, config, certs, zone] {
        out.extend(found?);
    }
    Ok(out)
}

/// The answer, or `None` when the call says the thing asked about does not exist (AWS's not-found
/// codes, and the service's own `codes` for an ID it cannot even parse).
fn present<T>(r: Result<T, Error>, codes: &[&str]) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e)
            if e.class() == ErrorClass::NotFound
                || e.code().is_some_and(|c| codes.contains(&c)) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The instance type exists, and the AMI (when given) exists, is available and is built for an
/// architecture the type runs.
async fn image(aws: &Clients, args: &FleetArgs) -> Found {
    let t = &args.instance_type;
    let types = aws
        .ec2
        .describe_instance_types()
        .instance_types(InstanceType::from(t.as_str()))
        .send()
        .await
        .map_err(on("ec2", "DescribeInstanceTypes"));
    let archs: Vec<String> = match present(types, &["InvalidInstanceType"])? {
        None => {
            return Ok(vec![problem(
                "instanceType",
                format!("{t} is not an instance type EC2 offers in {}", aws.region),
            )]);
        }
        Some(out) => out
            .instance_types()
            .first()
            .and_then(|i| i.processor_info())
            .map(|p| {
                p.supported_architectures()
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let Some(ami) = &args.ami else {
        return Ok(Vec::new());
    };
    let images = aws
        .ec2
        .describe_images()
        .image_ids(ami)
        .send()
        .await
        .map_err(on("ec2", "DescribeImages"));
    let found = present(
        images,
        &["InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"],
    )?
    .and_then(|out| out.images().first().cloned());
    let Some(img) = found else {
        return Ok(vec![problem("ami", format!("{ami} does not exist in {} (or is not shared with this account); AMI IDs differ per region", aws.region))]);
    };
    if img.state() != Some(&ImageState::Available) {
        let state = img.state().map(|s| s.as_str()).unwrap_or("unknown");
        return Ok(vec![problem("ami", format!("{ami} is {state}, and EC2 launches only available images; enable it (EnableImage) or choose another"))]);
    }
    let arch = img
        .architecture()
        .map(|a| a.as_str().to_string())
        .unwrap_or_default();
    if !archs.is_empty() && !archs.contains(&arch) {
        return Ok(vec![problem("ami", format!("{ami} is built for {arch}, but {t} runs {}; choose an {} image or another instanceType", archs.join(", "), archs.join(" or ")))]);
    }
    Ok(Vec::new())
}

async fn key_pair(aws: &Clients, args: &FleetArgs) -> Found {
    let Some(k) = &args.key_name else {
        return Ok(Vec::new());
    };
    let out = aws
        .ec2
        .describe_key_pairs()
        .key_names(k)
        .send()
        .await
        .map_err(on("ec2", "DescribeKeyPairs"));
    match present(out, &[])? {
        None => Ok(vec![problem("keyName", format!("no key pair {k:?} in {}; create or import it there, or leave keyName unset and use SSM Session Manager", aws.region))]),
        Some(_) => Ok(Vec::new()),
    }
}

/// The instance type is offered in each zone named (the default zones are chosen among those
/// that offer it, when the subnets are made).
async fn offered(aws: &Clients, args: &FleetArgs) -> Found {
    let Some(zones) = &args.availability_zones else {
        return Ok(Vec::new());
    };
    let t = &args.instance_type;
    let filter = Filter::builder().name("instance-type").values(t).build();
    let mut pages = aws
        .ec2
        .describe_instance_type_offerings()
        .location_type(LocationType::AvailabilityZone)
        .filters(filter)
        .into_paginator()
        .send();
    let mut offers = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on("ec2", "DescribeInstanceTypeOfferings"))?;
        offers.extend(
            page.instance_type_offerings()
                .iter()
                .filter_map(|o| o.location().map(str::to_string)),
        );
    }
    Ok(zones
        .iter()
        .enumerate()
        .filter(|(_, z)| !offers.contains(z))
        .map(|(i, z)| {
            let others: Vec<&str> = offers.iter().map(String::as_str).collect();
            problem(
                format!("availabilityZones[{i}]"),
                format!(
                    "{t} is not offered in {z}; it is in {}",
                    if others.is_empty() {
                        "none of the region's zones".to_string()
                    } else {
                        others.join(", ")
                    }
                ),
            )
        })
        .collect())
}

async fn deployment_config(aws: &Clients, args: &FleetArgs) -> Found {
    let name = &args.deployment_config;
    let out = aws
        .codedeploy
        .get_deployment_config()
        .deployment_config_name(name)
        .send()
        .await
        .map_err(on("codedeploy", "GetDeploymentConfig"));
    match present(out, &[])? {
        None => Ok(vec![problem("deploymentConfig", format!("no deployment configuration {name:?} in {}; use one of CodeDeploy's (CodeDeployDefault.HalfAtATime, .OneAtATime, .AllAtOnce) or create it first", aws.region))]),
        Some(out) => Ok(out
            .deployment_config_info()
            .and_then(|i| i.minimum_healthy_hosts())
            .and_then(|h| keeps_every_instance(name, h, smallest_group(args)))
            .into_iter()
            .collect()),
    }
}

/// The fewest instances the group may run: its minimum, or a scheduled action's.
fn smallest_group(args: &FleetArgs) -> u32 {
    args.scheduled_actions
        .iter()
        .map(|a| a.min_capacity)
        .fold(args.min_capacity, u32::min)
}

/// CodeDeploy fails a deployment at once when the configuration's minimum healthy hosts is all of
/// the group's instances (a percentage rounds up), so every release to a group at that size fails.
fn keeps_every_instance(name: &str, h: &MinimumHealthyHosts, n: u32) -> Option<InputError> {
    let value = u32::try_from(h.value()).unwrap_or(0);
    let keep = match h.r#type()? {
        MinimumHealthyHostsType::HostCount => value,
        MinimumHealthyHostsType::FleetPercent => (n * value).div_ceil(100),
        _ => return None, // OneAtATime's MOST_CONCURRENCY: always one instance at a time
    };
    (n > 0 && keep >= n).then(|| problem("deploymentConfig", format!(
        "{name} keeps {keep} instance(s) healthy during a deployment, which is all of the {n} the group may run (minCapacity or a scheduled action's), so CodeDeploy would fail every release at once; raise the capacity, or use CodeDeployDefault.OneAtATime or .AllAtOnce"
    )))
}

/// The load balancer's and the CDN's certificates: each exists, is issued, and (the CDN's) covers
/// every alias.
async fn certificates(aws: &Clients, args: &FleetArgs) -> Found {
    let lb = async {
        match &args.certificate_arn {
            Some(arn) => certificate(&aws.acm, "certificateArn", arn, &[]).await,
            None => Ok(Vec::new()),
        }
    };
    let cdn = async {
        match (&args.cdn.certificate_arn, args.cdn.enabled) {
            (Some(arn), true) => {
                certificate(
                    &aws.acm_cloudfront,
                    "cdn.certificateArn",
                    arn,
                    &args.cdn.aliases,
                )
                .await
            }
            _ => Ok(Vec::new()),
        }
    };
    let (lb, cdn) = futures::join!(lb, cdn);
    Ok(lb?.into_iter().chain(cdn?).collect())
}

async fn certificate(
    acm: &aws_sdk_acm::Client,
    property: &str,
    arn: &str,
    aliases: &[String],
) -> Found {
    let out = acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(on("acm", "DescribeCertificate"));
    let Some(cert) = present(out, &["InvalidArnException"])?.and_then(|o| o.certificate) else {
        return Ok(vec![problem(
            property,
            format!("no certificate {arn} in ACM; request or import it first"),
        )]);
    };
    let mut found = Vec::new();
    let status = cert
        .status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    if status != "ISSUED" {
        found.push(problem(property, format!("the certificate is {status}, not ISSUED: finish its validation (ACM shows the DNS record to create) before using it")));
    }
    let mut names: Vec<&str> = cert
        .subject_alternative_names()
        .iter()
        .map(String::as_str)
        .collect();
    names.extend(cert.domain_name());
    for (i, alias) in aliases.iter().enumerate() {
        if !names.iter().any(|n| covers(n, alias)) {
            found.push(problem(format!("cdn.aliases[{i}]"), format!("{alias} is not covered by the certificate, which names {}; CloudFront refuses an alias its certificate does not cover", names.join(", "))));
        }
    }
    Ok(found)
}

/// Whether a certificate name covers `host`: equal, or `*.parent` for one label more.
fn covers(name: &str, host: &str) -> bool {
    let (name, host) = (
        name.to_ascii_lowercase(),
        host.trim_end_matches('.').to_ascii_lowercase(),
    );
    match name.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => name == host,
    }
}

/// The hosted zone exists, is public, and is the zone the record's name is in.
async fn hosted_zone(aws: &Clients, args: &FleetArgs) -> Found {
    let Some(dns) = &args.dns else {
        return Ok(Vec::new());
    };
    let id = &dns.hosted_zone_id;
    let out = aws
        .route53
        .get_hosted_zone()
        .id(id)
        .send()
        .await
        .map_err(on("route53", "GetHostedZone"));
    let found = present(out, &["InvalidInput"])?
        .and_then(|o| o.hosted_zone.map(|z| (z, o.vpcs.unwrap_or_default())));
    let Some((zone, vpcs)) = found else {
        return Ok(vec![problem(
            "dns.hostedZoneId",
            format!("no hosted zone {id} in this account"),
        )]);
    };
    let mut found = Vec::new();
    // Route 53 may leave Config out; a zone associated with VPCs is private either way.
    if zone.config().is_some_and(|c| c.private_zone()) || !vpcs.is_empty() {
        found.push(problem("dns.hostedZoneId", format!("{id} is a private zone, which only answers inside its VPCs; use the public zone for {}", zone.name())));
    }
    found.extend(zone_name_problem(dns, zone.name()));
    Ok(found)
}

fn zone_name_problem(dns: &Dns, actual: &str) -> Option<InputError> {
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    let actual = norm(actual);
    if let Some(z) = dns.zone_name.as_deref().filter(|z| norm(z) != actual) {
        return Some(problem("dns.zoneName", format!("{z} is not the name of zone {} ({actual}); give {actual} or the right hostedZoneId", dns.hosted_zone_id)));
    }
    dns.record_name
        .as_deref()
        .filter(|r| norm(r) != actual && !norm(r).ends_with(&format!(".{actual}")))
        .map(|r| {
            problem(
                "dns.recordName",
                format!(
                    "{r} is not in zone {} ({actual}); Route 53 refuses a record outside its zone",
                    dns.hosted_zone_id
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn a_wildcard_covers_exactly_one_more_label() {
        assert!(covers("www.example.com", "WWW.example.com."));
        assert!(covers("*.example.com", "shop.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("example.com", "www.example.com"));
    }
}
