//! Every archive form the engine sends, the deterministic zip and each appspec rule.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use super::{appspec, archive, bundle_zip, ArchiveInput, Bundle, File};
use crate::server::props::{Archive, ArchiveSource, Asset, AssetSource, Value};

const SPEC: &str = "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt/app\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n      runas: root\n";

fn path_archive(p: &str) -> Archive {
    Archive {
        hash: None,
        source: ArchiveSource::Path(p.into()),
    }
}

fn text(t: &str) -> Value {
    Value::Asset(Asset {
        hash: None,
        source: AssetSource::Text(t.into()),
    })
}

fn file(bytes: &str, executable: bool) -> File {
    File {
        bytes: bytes.as_bytes().to_vec(),
        executable,
    }
}

/// The app every form below holds: an appspec, an executable start script and a nested file.
fn app() -> Bundle {
    BTreeMap::from([
        ("appspec.yml".into(), file(SPEC, false)),
        (
            "scripts/start.sh".into(),
            file("#!/bin/sh\nexec node server.js\n", true),
        ),
        ("server.js".into(), file("require('http')", false)),
    ])
}

fn write_folder(dir: &Path) {
    for (p, f) in app() {
        let path = dir.join(&p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &f.bytes).unwrap();
        set_mode(&path, if f.executable { 0o755 } else { 0o644 });
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn tar_bytes() -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    for (p, f) in app() {
        let mut h = tar::Header::new_gnu();
        h.set_size(f.bytes.len() as u64);
        h.set_mode(if f.executable { 0o755 } else { 0o644 });
        h.set_cksum();
        t.append_data(&mut h, format!("./{p}"), f.bytes.as_slice())
            .unwrap();
    }
    t.into_inner().unwrap()
}

#[test]
fn a_folder_is_read_with_its_executable_bits() {
    let dir = tempfile::tempdir().unwrap();
    write_folder(&dir.path().join("app"));
    let got = archive::read(&path_archive("app"), dir.path()).unwrap();
    assert_eq!(got, app());
}

#[test]
fn zip_tar_and_tgz_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let zipped = bundle_zip::build(&app()).unwrap();
    std::fs::write(dir.path().join("app.zip"), &zipped.bytes).unwrap();
    std::fs::write(dir.path().join("app.tar"), tar_bytes()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar_bytes()).unwrap();
    let tgz = gz.finish().unwrap();
    std::fs::write(dir.path().join("app.tgz"), &tgz).unwrap();
    std::fs::write(dir.path().join("app.TAR.GZ"), &tgz).unwrap();
    for name in ["app.zip", "app.tar", "app.tgz", "app.TAR.GZ"] {
        let got = archive::read(&path_archive(name), dir.path()).unwrap();
        assert_eq!(got, app(), "{name}");
    }
}

#[test]
fn an_asset_archive_of_text_files_and_nested_archives_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write_folder(&dir.path().join("app"));
    std::fs::write(dir.path().join("notes.txt"), "hi").unwrap();
    let nested = Archive {
        hash: None,
        source: ArchiveSource::Assets(BTreeMap::from([
            ("inner.txt".into(), text("in")),
            ("app".into(), Value::Archive(path_archive("app"))),
        ])),
    };
    let top = Archive {
        hash: None,
        source: ArchiveSource::Assets(BTreeMap::from([
            ("./readme.md".into(), text("# app")),
            (
                "docs/notes.txt".into(),
                Value::Asset(Asset {
                    hash: None,
                    source: AssetSource::Path("notes.txt".into()),
                }),
            ),
            ("lib".into(), Value::Archive(nested)),
        ])),
    };
    let got = archive::read(&top, dir.path()).unwrap();
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "docs/notes.txt",
            "lib/app/appspec.yml",
            "lib/app/scripts/start.sh",
            "lib/app/server.js",
            "lib/inner.txt",
            "readme.md"
        ]
    );
    assert!(got["lib/app/scripts/start.sh"].executable);
    assert_eq!(got["readme.md"].bytes, b"# app");
}

#[test]
fn unreadable_forms_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.rar"), "x").unwrap();
    std::fs::write(dir.path().join("bad.zip"), "not a zip").unwrap();
    let uri = Archive {
        hash: None,
        source: ArchiveSource::Uri("https://example.com/app.zip".into()),
    };
    let uri_asset = Archive {
        hash: None,
        source: ArchiveSource::Assets(BTreeMap::from([(
            "a".into(),
            Value::Asset(Asset {
                hash: None,
                source: AssetSource::Uri("s3://b/k".into()),
            }),
        )])),
    };
    let climbing = Archive {
        hash: None,
        source: ArchiveSource::Assets(BTreeMap::from([("../etc/passwd".into(), text("x"))])),
    };
    let twice = Archive {
        hash: None,
        source: ArchiveSource::Assets(BTreeMap::from([
            ("a/b".into(), text("1")),
            (
                "a".into(),
                Value::Archive(Archive {
                    hash: None,
                    source: ArchiveSource::Assets(BTreeMap::from([("b".into(), text("2"))])),
                }),
            ),
        ])),
    };
    let cases = [
        (uri, "https://example.com/app.zip is a remote archive"),
        (uri_asset, "s3://b/k is a remote asset"),
        (path_archive("missing"), "missing: No such file"),
        (
            path_archive("app.rar"),
            "app.rar is neither a folder nor a .zip",
        ),
        (path_archive("bad.zip"), "bad.zip is not a readable zip"),
        (climbing, "../etc/passwd: a path with .. would land outside"),
        (twice, "a/b is in the archive twice"),
    ];
    for (a, want) in cases {
        let err = archive::read(&a, dir.path()).unwrap_err();
        assert!(err.contains(want), "{err:?} lacks {want:?}");
    }
}

#[test]
fn the_zip_is_deterministic_and_keeps_modes() {
    let dir = tempfile::tempdir().unwrap();
    let one = bundle_zip::build(&app()).unwrap();
    // The same content read from disk at another time (other mtimes) zips to the same bytes.
    write_folder(&dir.path().join("app"));
    let again =
        bundle_zip::build(&archive::read(&path_archive("app"), dir.path()).unwrap()).unwrap();
    assert_eq!(one, again);
    assert_eq!(one.sha256.len(), 64);

    let mut changed = app();
    changed.get_mut("server.js").unwrap().bytes.push(b'\n');
    assert_ne!(bundle_zip::build(&changed).unwrap().sha256, one.sha256);
    let mut mode = app();
    mode.get_mut("server.js").unwrap().executable = true;
    assert_ne!(bundle_zip::build(&mode).unwrap().sha256, one.sha256);

    let mut z = zip::ZipArchive::new(std::io::Cursor::new(one.bytes)).unwrap();
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    assert_eq!(names, ["appspec.yml", "scripts/start.sh", "server.js"]);
    let mut start = z.by_name("scripts/start.sh").unwrap();
    assert_eq!(start.unix_mode().map(|m| m & 0o777), Some(0o755));
    let mut body = String::new();
    start.read_to_string(&mut body).unwrap();
    assert_eq!(body, "#!/bin/sh\nexec node server.js\n");
    drop(start);
    assert_eq!(
        z.by_name("server.js")
            .unwrap()
            .unix_mode()
            .map(|m| m & 0o777),
        Some(0o644)
    );
}

fn with_spec(spec: &str) -> Bundle {
    let mut b = app();
    b.insert("appspec.yml".into(), file(spec, false));
    b
}

#[test]
fn a_good_appspec_passes() {
    assert_eq!(appspec::check(&app()), Vec::<String>::new());
    let minimal = with_spec("version: '0.0'\nos: linux\n");
    assert_eq!(appspec::check(&minimal), Vec::<String>::new());
}

#[test]
fn each_appspec_rule_names_the_file_and_entry() {
    let hook = |body: &str| {
        format!("version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n{body}")
    };
    let cases: Vec<(Bundle, &str)> = vec![
        (
            BTreeMap::from([("app/appspec.yml".into(), file(SPEC, false))]),
            "must be at the bundle's root, but it is at app/appspec.yml",
        ),
        (BTreeMap::new(), "the bundle has no appspec.yml at its root"),
        (with_spec("version: [\n"), "appspec.yml is not valid YAML"),
        (with_spec("- a\n"), "must be a mapping"),
        (with_spec("version: 1.0\nos: linux\n"), "version must be 0.0"),
        (with_spec("os: linux\n"), "version must be 0.0 (the only version CodeDeploy reads), not nothing"),
        (with_spec("version: 0.0\nos: windows\n"), "os must be linux"),
        (with_spec("version: 0.0\nos: linux\nresources: []\n"), "unknown section \"resources\""),
        (with_spec("version: 0.0\nos: linux\nfile_exists_behavior: REPLACE\n"), "file_exists_behavior is REPLACE; it must be DISALLOW, OVERWRITE or RETAIN"),
        (
            with_spec("version: 0.0\nos: linux\nfiles:\n  - source: dist\n    destination: /opt\n"),
            "files[0]: source dist is not in the bundle",
        ),
        (
            with_spec("version: 0.0\nos: linux\nfiles:\n  - source: scripts\n    destination: opt\n"),
            "files[0]: destination opt must be an absolute path",
        ),
        (
            with_spec("version: 0.0\nos: linux\nhooks:\n  AppStart:\n    - location: scripts/start.sh\n"),
            "hooks.AppStart is not a lifecycle event; use one of ApplicationStop",
        ),
        (
            with_spec("version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: scripts/start.sh\n"),
            "hooks.Install is run by the CodeDeploy agent itself",
        ),
        (
            with_spec("version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n"),
            "hooks.ApplicationStop[0]: location scripts/stop.sh is not in the bundle",
        ),
        (
            with_spec("version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - timeout: 5\n"),
            "hooks.ApplicationStop[0]: needs a location",
        ),
        (with_spec(&hook("      timeout: 3601\n")), "timeout must be whole seconds from 1 to 3600, not 3601"),
        (with_spec(&hook("      timeout: 0\n")), "not 0"),
        (with_spec(&hook("      timeout: 1.5\n")), "not 1.5"),
        (with_spec(&hook("      runas: Root User\n")), "runas must be a Linux user name"),
        (with_spec(&hook("      runas: 1abc\n")), "not 1abc"),
    ];
    for (bundle, want) in cases {
        let got = appspec::check(&bundle);
        assert!(
            got.iter().any(|p| p.contains(want)),
            "{got:?} lacks {want:?}"
        );
    }
    // A hook at the limits passes; several problems are all reported at once.
    assert!(appspec::check(&with_spec(&hook(
        "      timeout: 3600\n      runas: ec2-user\n"
    )))
    .is_empty());
    assert_eq!(
        appspec::check(&with_spec("version: 1\nos: windows\nhooks:\n  Nope: []\n")).len(),
        3
    );
}

#[test]
fn the_input_round_trips_through_the_typed_json() {
    let a = Archive {
        hash: Some("abc".into()),
        source: ArchiveSource::Assets(BTreeMap::from([
            ("x".into(), text("1")),
            ("y".into(), Value::Archive(path_archive("./app"))),
        ])),
    };
    let j = serde_json::Value::from(ArchiveInput(a.clone()));
    let back: ArchiveInput = serde_json::from_value(j).unwrap();
    assert_eq!(back.0, a);
    let err = serde_json::from_value::<ArchiveInput>(serde_json::json!("./app")).unwrap_err();
    assert!(
        err.to_string().contains("expected a Pulumi Archive"),
        "{err}"
    );
}

#[test]
fn the_example_app_passes_every_appspec_check() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let bundle = archive::read(&path_archive("app"), &root).unwrap();
    assert_eq!(appspec::check(&bundle), Vec::<String>::new());
    let start = bundle
        .get("scripts/start.sh")
        .expect("the start script is bundled");
    assert!(start.executable, "modes are kept");
    for ok in ["DISALLOW", "OVERWRITE", "RETAIN"] {
        let spec = format!("version: 0.0\nos: linux\nfile_exists_behavior: {ok}\n");
        assert_eq!(appspec::check(&with_spec(&spec)), Vec::<String>::new());
    }
}
