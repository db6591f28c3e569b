//! The Kustomize renderer against its oracle, `kubectl kustomize` (Kustomize v5.5.0):
//! the fixtures under fixtures/kustomize/ hold kubectl's output, committed, so that they
//! check the renderer on every machine; the corpus test renders every root of
//! ../shared/corpus with both and compares what decides a token.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokenguard::FileId;
use tokenguard::kustomize::{self, FsReader, PathKind, Reader};
use tokenguard::yaml::{self, Limits, NodeRef};

use crate::common::{fixture, repo, run};

/// The kustomization a fixture case renders: the case itself, or its `overlay/`.
fn case_root(case: &Path) -> PathBuf {
    if case.join("kustomization.yaml").is_file() {
        case.to_path_buf()
    } else {
        case.join("overlay")
    }
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixture("kustomize"))
        .expect("fixtures/kustomize")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_fixture_renders_as_kubectl_rendered_it() {
    let cases = cases();
    assert_eq!(cases.len(), 27, "the fixture cases are found");
    for case in cases {
        let root = case_root(&case);
        let out = run([Path::new("render"), &root]);
        assert_eq!(out.code, 0, "{}: {}", root.display(), out.stderr);
        let expected = std::fs::read_to_string(case.join("expected.yaml")).expect("expected.yaml");
        assert!(
            out.stdout == expected,
            "{} renders differently from kubectl kustomize:\n{}",
            case.display(),
            first_difference(&out.stdout, &expected)
        );
    }
}

fn first_difference(got: &str, expected: &str) -> String {
    let (mut got, mut expected) = (got.lines(), expected.lines());
    for line in 1.. {
        match (got.next(), expected.next()) {
            (None, None) => break,
            (g, e) if g != e => return format!("line {line}: got {g:?}, kubectl {e:?}"),
            _ => {}
        }
    }
    "only in line ends".to_owned()
}

/// The lines of `render --origins` that hold `needle`.
fn origins(root: &str, needle: &str) -> Vec<String> {
    let out = run(["render", "--origins", root]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
        .lines()
        .filter(|line| line.contains(needle))
        .map(|line| line.trim().to_owned())
        .collect()
}

#[test]
fn origins_point_at_the_base_line_or_the_transformer_line_that_wrote_each_value() {
    let overlay = "fixtures/kustomize/names/overlay/kustomization.yaml";
    let base = "fixtures/kustomize/names/base";
    // Renamed by namePrefix and then nameSuffix: the last writer is named.
    assert_eq!(
        origins("fixtures/kustomize/names/overlay", "serviceAccountName"),
        [format!("serviceAccountName: prod-api-v1 # {overlay}:5:13")]
    );
    // Kept from the base, at its own line.
    assert_eq!(
        origins(
            "fixtures/kustomize/names/overlay",
            "automountServiceAccountToken"
        ),
        [format!(
            "automountServiceAccountToken: true # {base}/app.yaml:17:37"
        )]
    );
    // `namespace:` writes every namespaced object's namespace, and the namespace of
    // the subjects that follow a renamed ServiceAccount or are named `default`.
    let namespaces = origins("fixtures/kustomize/names/overlay", "namespace: prod");
    assert_eq!(
        namespaces,
        vec![format!("namespace: prod # {overlay}:3:12"); 11]
    );
    assert_eq!(
        origins("fixtures/kustomize/names/overlay", "namespace: other"),
        [format!("namespace: other # {base}/rbac.yaml:27:16")]
    );
    // Labels and annotations at the pair that set them.
    let team = origins("fixtures/kustomize/names/overlay", "team: payments");
    assert!(
        team.iter().all(|l| l.ends_with(&format!("{overlay}:7:9"))),
        "{team:?}"
    );
    assert_eq!(
        origins("fixtures/kustomize/names/overlay", "ignore-TG002")
            .first()
            .map(String::as_str),
        Some(format!("tokenguard.dev/ignore-TG002: reviewed in SEC-12 # {overlay}:13:32").as_str())
    );
    // A component's transformer points into the component.
    let monitored = origins("fixtures/kustomize/components/overlay", "monitored");
    assert!(
        monitored.iter().all(|l| l
            == "monitored: \"true\" # fixtures/kustomize/components/monitoring/kustomization.yaml:6:14"),
        "{monitored:?}"
    );
}

#[test]
fn labels_in_volume_claim_templates_point_at_the_pair_that_set_them() {
    let case = "fixtures/kustomize/labels-volume-claim-templates";
    // Metadata, selector and template of three StatefulSets, and the two claims of the
    // one that has a list: none is created where the list is missing.
    let tier = origins(case, "tier: db");
    assert_eq!(
        tier,
        vec![format!("tier: db # {case}/kustomization.yaml:4:9"); 11]
    );
    let team = origins(case, "team: accounts");
    assert_eq!(
        team,
        vec![format!("team: accounts # {case}/kustomization.yaml:7:11"); 11]
    );
    // `includeTemplates` reaches the claims too: metadata, template and two claims.
    let owner = origins(case, "owner: ledger");
    assert_eq!(
        owner,
        vec![format!("owner: ledger # {case}/kustomization.yaml:11:12"); 8]
    );
    // A null list is emptied where it was written.
    assert_eq!(
        origins(case, "volumeClaimTemplates"),
        [
            "volumeClaimTemplates:".to_owned(),
            format!("volumeClaimTemplates: [] # {case}/statefulsets.yaml:21:23")
        ]
    );
}

#[test]
fn labels_written_by_field_specs_point_at_the_pair_that_set_them() {
    let case = "fixtures/kustomize/labels-fields";
    // A field for Deployments' metadata replaces Kustomize's own for every object's.
    assert_eq!(
        origins(case, "team:"),
        [format!("team: payments # {case}/kustomization.yaml:6:11")]
    );
    // Metadata of four objects, two pod templates, a claim, a custom resource's map
    // and each item of its list.
    let part_of = origins(case, "part-of");
    assert_eq!(
        part_of,
        vec![format!("app.kubernetes.io/part-of: shop # {case}/kustomization.yaml:13:32"); 10]
    );
}

#[test]
fn a_label_field_spec_that_conflicts_with_kustomizes_own_is_an_error_at_it() {
    let out = render_files(
        &[
            (
                "kustomization.yaml",
                "resources:\n- c.yaml\nlabels:\n- pairs: {a: b}\n  fields:\n  - kind: Widget\n    path: spec/labels\n  - path: metadata/labels\n    create: false\n",
            ),
            (
                "c.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            ),
        ],
        ".",
    );
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("kustomization.yaml:8:5: cannot render .: a `fields` entry sets `create` unlike Kustomize's own field spec for `metadata/labels`, which Kustomize refuses (conflicting fieldspecs)"),
        "{}",
        out.stderr
    );
}

#[test]
fn fields_of_a_bases_configurations_are_written_by_the_overlays_transformers() {
    let case = "fixtures/kustomize/configurations";
    let overlay = format!("{case}/overlay/kustomization.yaml");
    // namePrefix: the names, the custom kind's own field, and the service account it
    // names, followed by nameReference.
    for field in ["instanceName:", "serviceAccountName:"] {
        assert_eq!(
            origins(&format!("{case}/overlay"), field),
            [format!("{field} prod-collector # {overlay}:3:13")]
        );
    }
    // replicas: the count the configuration's field gets points at the entry.
    assert_eq!(
        origins(&format!("{case}/overlay"), "size:"),
        [format!("size: 2 # {overlay}:9:10")]
    );
    // namespace: the field the configuration creates points at `namespace:`.
    assert_eq!(
        origins(&format!("{case}/overlay"), "watchNamespace:"),
        [format!("watchNamespace: monitoring # {overlay}:4:12")]
    );
    // commonLabels: metadata of three objects and the custom kind's pod template.
    let team = origins(&format!("{case}/overlay"), "team:");
    assert_eq!(
        team,
        vec![format!("team: observability # {overlay}:6:9"); 4],
        "{team:?}"
    );
}

#[test]
fn fields_of_a_components_configurations_are_written_by_its_listers_transformers() {
    let app = "fixtures/kustomize/configurations-images/overlay";
    // images: the Deployment's container by Kustomize's own specs, the Pipeline's
    // runner and each step by the component's; all point at the entry.
    let image = format!("image: example.com/runner:2.1 # {app}/kustomization.yaml:6:3");
    assert_eq!(
        origins(app, "image: example.com/runner:2.1"),
        [format!("- {image}"), image.clone(), image]
    );
    // labels and templateLabels: two objects' metadata, the pod template, and the
    // Pipeline's runner (`labels`) and template (`templateLabels`).
    assert_eq!(
        origins(app, "tier:"),
        vec![format!("tier: ci # {app}/kustomization.yaml:18:11"); 5]
    );
    // varReference: the Pipeline's step arguments get the var; an unknown one stays.
    assert_eq!(
        origins(app, "- --"),
        [
            format!("- --target=web # {app}/pipeline.yaml:11:12"),
            format!("- --keep=$(OTHER) # {app}/pipeline.yaml:11:31"),
        ]
    );
    // commonAnnotations: two objects' metadata, the pod template and the Pipeline's
    // own template.
    assert_eq!(
        origins(app, "owner:"),
        vec![format!("owner: platform # {app}/kustomization.yaml:9:10"); 4]
    );
}

/// A temporary repository (a `.git` marks its top) holding `files`, each a path and
/// its text.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

/// `tokenguard ARGS` run at the top of `repository`.
fn run_in(repository: &tempfile::TempDir, args: &[&str]) -> crate::common::Output {
    crate::common::output(
        crate::common::tokenguard()
            .current_dir(repository.path())
            .args(args),
    )
}

/// Renders `root` of a temporary repository holding `files`.
fn render_files(files: &[(&str, &str)], root: &str) -> crate::common::Output {
    run_in(&repository(files), &["render", root])
}

/// The standard error of `render ROOT` at the top of `repository`, which must fail.
fn render_error(repository: &tempfile::TempDir, root: &str) -> String {
    let out = run_in(repository, &["render", root]);
    assert_eq!(out.code, 2, "{root}: {}", out.stdout);
    out.stderr
}

#[test]
fn configurations_kustomize_refuses_are_errors_at_their_line() {
    let kustomization = "resources:\n- agent.yaml\nnamePrefix: p-\nconfigurations:\n- c.yaml\nnamespace: x\nreplicas:\n- name: b\n  count: 1\n";
    let agent =
        "apiVersion: example.com/v1\nkind: Agent\nmetadata:\n  name: a\nspec:\n  pods: {a: b}\n";
    let cases = [
        (
            "nameReference:\n- kind: ServiceAccount\n  fieldSpecs:\n  - kind: Agent\n    paht: spec/sa\n",
            "c.yaml:5:5: cannot render .: unknown field `paht` in a field spec: Kustomize v5 rejects it",
        ),
        (
            "commonLabels:\n- path: metadata/labels\n  create: false\n",
            "c.yaml:2:3: cannot render .: the field spec for `metadata/labels` sets `create` unlike another for the same kinds, which Kustomize refuses (conflicting fieldspecs)",
        ),
        (
            "volumeClaimTemplateLabels: []\n",
            "c.yaml:1:1: cannot render .: unknown field `volumeClaimTemplateLabels` in a configuration: Kustomize v5 rejects it",
        ),
        (
            "replicas:\n  kind: Agent\n",
            "c.yaml:2:3: cannot render .: `replicas` must be a list of field specs",
        ),
        (
            "namePrefix:\n- kind: Agent\n  path: spec/pods\n",
            "kustomization.yaml:3:1: cannot render .: `spec/pods` of Agent x/a is not a string, which Kustomize's namePrefix refuses to change",
        ),
        (
            "namespace:\n- kind: Agent\n  path: spec/pods\n",
            "kustomization.yaml:6:1: cannot render .: `spec/pods` of Agent x/a is not a string, which Kustomize's namespace refuses to set",
        ),
        (
            "replicas:\n- kind: Agent\n  path: spec/size\n",
            "kustomization.yaml:9:3: cannot render .: no Deployment, StatefulSet, Agent, ReplicaSet or ReplicationController is named `b`, which Kustomize refuses",
        ),
        (
            "namePrefix:\n- kind: Agent\n  create: yes\n",
            "c.yaml:2:3: cannot render .: a field spec needs a `path`",
        ),
        (
            "namePrefix: [\n",
            "c.yaml:2:1: cannot render .: invalid YAML",
        ),
    ];
    for (config, error) in cases {
        let out = render_files(
            &[
                ("kustomization.yaml", kustomization),
                ("agent.yaml", agent),
                ("c.yaml", config),
            ],
            ".",
        );
        assert_eq!(out.code, 2, "{config}");
        assert!(out.stderr.contains(error), "{config}: {}", out.stderr);
    }
    // The load restrictor applies to configuration files as to every other input.
    let out = render_files(
        &[
            ("app/kustomization.yaml", "configurations:\n- ../c.yaml\n"),
            ("c.yaml", "namePrefix: []\n"),
        ],
        "app",
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("app/kustomization.yaml:2:3: cannot render app: `../c.yaml` is not under the kustomization's directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_kind_specific_name_spec_takes_the_place_of_kustomizes_own_as_in_kustomize() {
    // Sorted before Kustomize's own `metadata/name` spec, the Agent's takes its place
    // when the build's configurations are merged: only the Agent is renamed, as
    // `kubectl kustomize` renames it.
    let out = render_files(
        &[
            (
                "kustomization.yaml",
                "resources:\n- agent.yaml\n- sa.yaml\nnamePrefix: p-\nconfigurations:\n- c.yaml\n",
            ),
            (
                "agent.yaml",
                "apiVersion: example.com/v1\nkind: Agent\nmetadata:\n  name: a\n",
            ),
            (
                "sa.yaml",
                "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n",
            ),
            (
                "c.yaml",
                "namePrefix:\n- kind: Agent\n  path: metadata/name\n- kind: Agent\n  path: spec/instance\n  create: true\n",
            ),
        ],
        ".",
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    // kubectl kustomize's output, with the field the Agent's spec created.
    assert_eq!(
        out.stdout,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n---\napiVersion: example.com/v1\nkind: Agent\nmetadata:\n  name: p-a\nspec:\n  instance: p-\n"
    );
}

#[test]
fn the_managed_by_label_points_at_the_root_option_and_transformer_annotations_fall_back() {
    let case = "fixtures/kustomize/build-metadata";
    // Every object, the generated ConfigMap too.
    let labels = origins(&format!("{case}/overlay"), "managed-by");
    assert_eq!(
        labels,
        vec![
            format!(
                "app.kubernetes.io/managed-by: kustomize-(devel) # {case}/overlay/kustomization.yaml:3:3"
            );
            3
        ]
    );
    // The base's options count where it is the root.
    let out = run(["render", &format!("{case}/base")]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!(
            "{case}/base/kustomization.yaml:1:36: cannot render {case}/base: `buildMetadata.transformerAnnotations` is not rendered by tokenguard yet"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn origin_annotations_point_at_the_root_option() {
    let overlay = "fixtures/kustomize/origin-annotations/overlay";
    // Six objects: four read from files, two generated.
    let annotations = origins(overlay, "config.kubernetes.io/origin:");
    assert_eq!(
        annotations,
        vec![format!("config.kubernetes.io/origin: | # {overlay}/kustomization.yaml:2:3"); 6]
    );
    // What the objects were written with is gone: Kustomize's own index annotation,
    // and the hand-written origin Kustomize wrote over.
    let out = run(["render", overlay]);
    assert!(
        !out.stdout.contains("config.kubernetes.io/index"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("elsewhere.yaml"), "{}", out.stdout);
}

#[test]
fn images_and_replicas_point_at_the_entry_that_set_them() {
    let images = "fixtures/kustomize/images";
    let entry = |line: u32| format!("{images}/kustomization.yaml:{line}:3");
    let image = |needle: &str| origins(images, needle);
    assert_eq!(
        image("image: busybox@"),
        [format!(
            "- image: busybox@sha256:4be429a5fbb2e71ae7958bfa558bc637cf3a61baf40a708cb8fff532b39e52d0 # {}",
            entry(8)
        )]
    );
    // Both passes wrote the Deployment's suffix; the first only, the CronJob's.
    assert_eq!(
        image("image: nginx:"),
        [
            format!("- image: nginx:1.27-hardened-hardened # {}", entry(10)),
            format!("- image: nginx:-hardened # {}", entry(10)),
        ]
    );
    // `imageTags` entries come after `images`.
    assert_eq!(
        image("image: postgres"),
        [format!("- image: postgres:16.4 # {}", entry(17))]
    );
    // A name that only starts like an entry's is left as written.
    assert_eq!(
        image("image: nginx-exporter"),
        [format!(
            "- image: nginx-exporter:1.0 # {images}/workloads.yaml:25:16"
        )]
    );
    let overlay = "fixtures/kustomize/replicas/overlay";
    assert_eq!(
        origins(overlay, "replicas:"),
        [
            format!("replicas: 3 # {overlay}/kustomization.yaml:7:10"),
            format!("replicas: 2 # {overlay}/kustomization.yaml:10:10"),
        ]
    );
}

#[test]
fn replicas_and_images_kustomize_refuses_are_errors_at_their_line() {
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: {tag: 1}\n";
    let repo = repository(&[
        ("nothing/d.yaml", deployment),
        (
            "nothing/kustomization.yaml",
            "resources:\n- d.yaml\nreplicas:\n- name: web\n  count: 2\n",
        ),
        ("mapping/d.yaml", deployment),
        (
            "mapping/kustomization.yaml",
            "resources:\n- d.yaml\nimages:\n- name: nginx\n  newTag: '2'\n",
        ),
        (
            "unknown/kustomization.yaml",
            "images:\n- name: nginx\n  tag: '2'\n",
        ),
    ]);
    let render = |root: &str| render_error(&repo, root);
    let stderr = render("nothing");
    assert!(
        stderr.contains("nothing/kustomization.yaml:5:3: cannot render nothing: no Deployment, ReplicationController, ReplicaSet or StatefulSet is named `web`, which Kustomize refuses"),
        "{stderr}"
    );
    let stderr = render("mapping");
    assert!(
        stderr.contains("mapping/d.yaml:10:16: cannot render mapping: an image that is not a string, which Kustomize refuses to change"),
        "{stderr}"
    );
    let stderr = render("unknown");
    assert!(
        stderr.contains("unknown/kustomization.yaml:3:3: cannot render unknown: unknown field `tag` in an image: Kustomize v5 rejects it"),
        "{stderr}"
    );
}

#[test]
fn patched_and_generated_fields_point_at_the_patch_and_generator_lines() {
    let repo = repository(&[
        (
            "kustomization.yaml",
            "resources:\n- pod.yaml\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: Pod\n    metadata:\n      name: p\n    spec:\n      serviceAccountName: inline\n- path: file.yaml\nsecretGenerator:\n- name: token\n  type: kubernetes.io/service-account-token\n  literals:\n  - token=x\n",
        ),
        (
            "pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n",
        ),
        (
            "file.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n",
        ),
    ]);
    let out = run_in(&repo, &["render", "--origins", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = |needle: &str| {
        out.stdout
            .lines()
            .find(|l| l.contains(needle))
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    // The inline patch's value, at its line and column in the kustomization file.
    assert_eq!(
        line("serviceAccountName"),
        "serviceAccountName: inline # kustomization.yaml:10:27"
    );
    assert_eq!(
        line("automountServiceAccountToken"),
        "automountServiceAccountToken: false # file.yaml:6:33"
    );
    // The generated Secret's type at the generator's `type:` line.
    assert_eq!(
        line("type: kubernetes.io"),
        "type: kubernetes.io/service-account-token # kustomization.yaml:14:9"
    );
    assert!(
        line("name: token-").starts_with("name: token-"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_root_that_cannot_be_rendered_is_an_error_at_the_kustomization_line() {
    let repo = repository(&[
        (
            "app/kustomization.yaml",
            "resources:\n- a.yaml\npatches:\n- path: p.yaml\n  target: {kind: ServiceAccount}\ncrds:\n- p.yaml\n",
        ),
        (
            "app/a.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n",
        ),
        (
            "app/p.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n",
        ),
        ("bad/kustomization.yaml", "resources: []\nnamePrefx: x-\n"),
        ("far/kustomization.yaml", "resources:\n- ../app/a.yaml\n"),
        ("cycle/a/kustomization.yaml", "resources:\n- ../b\n"),
        ("cycle/b/kustomization.yaml", "resources:\n- ../a\n"),
    ]);
    let render = |root: &str| render_error(&repo, root);
    assert!(
        render("app").contains(
            "app/kustomization.yaml:6:1: cannot render app: `crds` is not rendered by tokenguard yet"
        ),
        "{}",
        render("app")
    );
    assert!(
        render("bad").contains("bad/kustomization.yaml:2:1: cannot render bad: the kustomization cannot be read: unknown field `namePrefx`"),
        "{}",
        render("bad")
    );
    assert!(
        render("far").contains("far/kustomization.yaml:2:3: cannot render far: `../app/a.yaml` is not under the kustomization's directory"),
        "{}",
        render("far")
    );
    assert!(
        render("cycle/a").contains("cycle/b/kustomization.yaml:2:3: cannot render cycle/a: ")
            && render("cycle/a").contains("lists a kustomization that lists it back (a cycle)"),
        "{}",
        render("cycle/a")
    );
}

#[test]
fn two_objects_with_one_id_are_kustomizes_error() {
    let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n";
    let out = render_files(
        &[
            ("kustomization.yaml", "resources:\n- one.yaml\n- two.yaml\n"),
            ("one.yaml", sa),
            ("two.yaml", sa),
        ],
        ".",
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("kustomization.yaml:3:3: cannot render .: ServiceAccount a is defined twice"),
        "{}",
        out.stderr
    );
}

/// Pass list of the corpus comparison: roots whose rendering agrees with kubectl's.
const PASSING: &str = "tests/data/kustomize-corpus-passing.txt";

/// Roots whose `tokenguard render` output is byte-identical with kubectl's.
const IDENTICAL: &str = "tests/data/kustomize-corpus-identical.txt";

/// Roots whose `tokenguard render` output may differ from kubectl's byte for byte,
/// each with the reason; every other root kubectl renders must be identical.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// `kubectl kustomize` of every root of ../shared/corpus, run once for all the tests
/// that compare with it.
struct Oracle {
    corpus: PathBuf,
    /// Each root's directory and kubectl's output (`None` where kubectl refuses it).
    outputs: Vec<(PathBuf, Option<String>)>,
    kubectl_time: Duration,
}

impl Oracle {
    fn output(&self, dir: &Path) -> Option<&str> {
        self.outputs
            .iter()
            .find(|(d, _)| d == dir)
            .and_then(|(_, out)| out.as_deref())
    }
}

static ORACLE: OnceLock<Result<Oracle, &'static str>> = OnceLock::new();

/// The oracle, or why there is none (printed as SKIPPED by each test).
fn oracle() -> Result<&'static Oracle, &'static str> {
    ORACLE.get_or_init(run_kubectl).as_ref().map_err(|why| *why)
}

/// The corpus's kustomizations planned as a scan plans them, and the reader to render them.
fn corpus_graph(corpus: &Path) -> (kustomize::Graph, FsReader) {
    let limits = Limits::default();
    let reader = FsReader {
        max_file_bytes: limits.max_file_bytes,
        follow_symlinks: false,
    };
    let graph = kustomize::plan(&kustomization_dirs(corpus), corpus, &reader, &limits);
    assert_eq!(graph.roots.len(), 206, "the corpus roots are found");
    (graph, reader)
}

fn run_kubectl() -> Result<Oracle, &'static str> {
    let corpus = repo().join("../shared/corpus");
    if !corpus.is_dir() {
        return Err("../shared/corpus is absent: no roots to compare");
    }
    let kubectl_works = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !kubectl_works {
        return Err("kubectl is not installed: the corpus is not compared with kubectl kustomize");
    }
    let corpus = tokenguard::discover::absolute(&corpus);
    let (graph, _) = corpus_graph(&corpus);
    let roots: Vec<&kustomize::Root> = graph.roots.iter().collect();

    // kubectl in parallel: it takes 50-570 ms a root.
    // More threads than cores: much of kubectl's time is its start.
    let threads = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
    let kubectl_time = Mutex::new(Duration::ZERO);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut outputs: Vec<(PathBuf, Option<String>)> =
        roots.iter().map(|root| (root.dir.clone(), None)).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(root) = roots.get(i) else { break };
                        let started = Instant::now();
                        let out = Command::new("kubectl")
                            .arg("kustomize")
                            .arg(&root.dir)
                            .output();
                        *kubectl_time.lock().expect("the clock") += started.elapsed();
                        let text = out
                            .ok()
                            .filter(|o| o.status.success())
                            .and_then(|o| String::from_utf8(o.stdout).ok());
                        done.push((i, text));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            for (i, text) in worker.join().expect("a kubectl worker") {
                outputs[i].1 = text;
            }
        }
    });
    Ok(Oracle {
        corpus,
        outputs,
        kubectl_time: kubectl_time.into_inner().expect("the clock"),
    })
}

/// The roots a list file names, comments and blank lines left out.
fn listed_roots(list: &str) -> BTreeSet<String> {
    std::fs::read_to_string(repo().join(list))
        .unwrap_or_else(|e| panic!("{list}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn corpus_roots_render_the_objects_and_token_fields_kubectl_renders() {
    let oracle = match oracle() {
        Ok(oracle) => oracle,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let (graph, reader) = corpus_graph(&oracle.corpus);
    let listed = listed_roots(PASSING);
    let mut our_time = Duration::ZERO;
    let (mut refused, mut passed, mut table) = (0, BTreeSet::new(), String::new());
    for root in &graph.roots {
        let name = tokenguard::discover::display_path(&root.dir, &oracle.corpus);
        let Some(expected) = oracle.output(&root.dir) else {
            refused += 1;
            table += &format!("  skip  {name} (kubectl refuses it)\n");
            continue;
        };
        let started = Instant::now();
        let rendered = render_root(&graph, root, &reader);
        our_time += started.elapsed();
        let verdict = match rendered {
            Err(reason) => Err(reason),
            Ok(rendered) => compare(&project(expected), &project(&rendered)),
        };
        match verdict {
            Ok(()) => {
                passed.insert(name.clone());
                table += &format!("  pass  {name}\n");
            }
            Err(reason) => table += &format!("  FAIL  {name}: {reason}\n"),
        }
    }
    let compared = graph.roots.len() - refused;
    eprintln!(
        "kustomize corpus: {} of {compared} roots kubectl renders agree ({refused} kubectl refuses)\n{table}",
        passed.len()
    );
    // For information only (this build is not optimised; bench/ measures speed).
    eprintln!(
        "kubectl kustomize took {:?} over the roots, tokenguard's renderer {our_time:?}",
        oracle.kubectl_time
    );
    let regressed: Vec<_> = listed.difference(&passed).collect();
    assert!(
        regressed.is_empty(),
        "roots in {PASSING} no longer agree with kubectl: {regressed:?}"
    );
    let new: Vec<_> = passed.difference(&listed).collect();
    if !new.is_empty() {
        eprintln!("roots that now agree, to add to {PASSING}: {new:?}");
    }
}

#[test]
fn corpus_roots_render_byte_for_byte_as_kubectl_prints_them() {
    let oracle = match oracle() {
        Ok(oracle) => oracle,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let (graph, reader) = corpus_graph(&oracle.corpus);
    let listed = listed_roots(IDENTICAL);
    let known = |name: &str| {
        KNOWN_DIFFERENCES
            .iter()
            .find(|(root, _)| *root == name)
            .map(|(_, reason)| *reason)
    };
    let (mut compared, mut identical, mut failures) = (0, BTreeSet::new(), Vec::new());
    for root in &graph.roots {
        let Some(expected) = oracle.output(&root.dir) else {
            continue;
        };
        compared += 1;
        let name = tokenguard::discover::display_path(&root.dir, &oracle.corpus);
        let difference = match render_root(&graph, root, &reader) {
            Ok(rendered) if rendered == expected => None,
            Ok(rendered) => Some(first_difference(&rendered, expected)),
            Err(reason) => Some(format!("not rendered: {reason}")),
        };
        match difference {
            None if known(&name).is_some() => failures.push(format!(
                "{name} is identical now: move it from KNOWN_DIFFERENCES to {IDENTICAL}"
            )),
            None => {
                identical.insert(name);
            }
            Some(difference) => match known(&name) {
                Some(reason) => eprintln!("known difference: {name} ({reason}): {difference}"),
                None => failures.push(format!("{name}: {difference}")),
            },
        }
    }
    eprintln!(
        "kustomize corpus: {} of {compared} roots kubectl renders are byte-identical",
        identical.len()
    );
    assert_eq!(compared, 173, "the roots kubectl renders are compared");
    assert!(
        failures.is_empty(),
        "roots whose render differs from kubectl kustomize's output (fix them, or list them with the reason in KNOWN_DIFFERENCES):\n{}",
        failures.join("\n")
    );
    let regressed: Vec<_> = listed.difference(&identical).collect();
    assert!(
        regressed.is_empty(),
        "roots in {IDENTICAL} no longer render byte for byte as kubectl does: {regressed:?}"
    );
    let new: Vec<_> = identical.difference(&listed).collect();
    if !new.is_empty() {
        eprintln!("roots now byte-identical, to add to {IDENTICAL}: {new:?}");
    }
}

fn kustomization_dirs(corpus: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut stack = vec![corpus.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && !entry.file_name().to_string_lossy().starts_with('.') {
                stack.push(path);
            } else if kind.is_file()
                && kustomize::file::FILE_NAMES
                    .iter()
                    .any(|n| entry.file_name() == *n)
            {
                dirs.push(dir.clone());
            }
        }
    }
    dirs.sort();
    dirs.dedup();
    dirs
}

fn render_root(
    graph: &kustomize::Graph,
    root: &kustomize::Root,
    reader: &dyn Reader,
) -> Result<String, String> {
    let id = |path: &Path| {
        root.inputs
            .binary_search_by(|p| p.as_path().cmp(path))
            .ok()
            .map(|i| FileId(i as u32))
    };
    let rendering = kustomize::render(graph, root, &id, reader).map_err(|problem| {
        format!(
            "{}:{}: {}",
            problem.file.display(),
            problem.at.start.line,
            problem.reason
        )
    })?;
    Ok(kustomize::emit::to_yaml(&rendering.objects, None))
}

/// What decides a token in one object: its identity, then the fields SPEC 4 reads.
#[derive(Debug, PartialEq)]
struct Projection {
    id: String,
    fields: Vec<(String, String)>,
}

fn project(stream: &str) -> Vec<Projection> {
    let parsed = yaml::parse(stream, &Limits::default());
    parsed
        .documents
        .iter()
        .map(|doc| {
            let object = parsed.tree.node(doc.root);
            let text = |path: &[&str]| path_of(object, path).map(canonical).unwrap_or_default();
            let kind = text(&["kind"]);
            let id = format!(
                "{kind} {}/{}",
                text(&["metadata", "namespace"]),
                text(&["metadata", "name"])
            );
            let pod_spec: &[&str] = match kind.as_str() {
                "Pod" => &["spec"],
                "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
                _ => &["spec", "template", "spec"],
            };
            let mut fields = vec![("annotations".to_owned(), text(&["metadata", "annotations"]))];
            for key in [
                "automountServiceAccountToken",
                "rules",
                "subjects",
                "roleRef",
                "type",
            ] {
                fields.push((key.to_owned(), text(&[key])));
            }
            if let Some(spec) = path_of(object, pod_spec) {
                for key in [
                    "automountServiceAccountToken",
                    "serviceAccountName",
                    "serviceAccount",
                    "volumes",
                ] {
                    fields.push((
                        format!("pod {key}"),
                        spec.get(key).map(canonical).unwrap_or_default(),
                    ));
                }
                for list in ["initContainers", "containers", "ephemeralContainers"] {
                    for container in spec.get(list).into_iter().flat_map(NodeRef::items) {
                        let name = container.get("name").map(canonical).unwrap_or_default();
                        let mounts = container
                            .get("volumeMounts")
                            .map(canonical)
                            .unwrap_or_default();
                        fields.push((format!("{list} {name} volumeMounts"), mounts));
                    }
                }
            }
            Projection { id, fields }
        })
        .collect()
}

fn path_of<'t>(node: NodeRef<'t>, path: &[&str]) -> Option<NodeRef<'t>> {
    path.iter().try_fold(node, |node, key| node.get(key))
}

/// A node as one line, keys sorted, scalars by their text.
fn canonical(node: NodeRef<'_>) -> String {
    if let Some(s) = node.scalar() {
        return s.text.to_owned();
    }
    if node.is_seq() {
        let items: Vec<String> = node.items().map(canonical).collect();
        return format!("[{}]", items.join(", "));
    }
    let mut entries: Vec<String> = node
        .entries()
        .map(|(k, v)| format!("{}: {}", k.scalar().map_or("", |s| s.text), canonical(v)))
        .collect();
    entries.sort();
    format!("{{{}}}", entries.join(", "))
}

fn compare(expected: &[Projection], got: &[Projection]) -> Result<(), String> {
    let ids = |p: &[Projection]| p.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
    if ids(expected) != ids(got) {
        return Err(format!(
            "objects differ: kubectl {:?}, tokenguard {:?}",
            ids(expected),
            ids(got)
        ));
    }
    for (e, g) in expected.iter().zip(got) {
        for (field, value) in &e.fields {
            let ours = g.fields.iter().find(|(f, _)| f == field).map(|(_, v)| v);
            if ours != Some(value) {
                return Err(format!(
                    "{} {field}: kubectl {value:?}, tokenguard {ours:?}",
                    e.id
                ));
            }
        }
    }
    Ok(())
}

/// The reader scans and renders use: a symbolic link is reported, never read.
#[test]
fn the_file_system_reader_does_not_follow_links() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = dir.path().join("target.yaml");
    std::fs::write(&target, "a: 1\n").expect("write");
    let reader = FsReader {
        max_file_bytes: 1024,
        follow_symlinks: false,
    };
    assert_eq!(reader.kind(&target), PathKind::File);
    assert_eq!(reader.kind(dir.path()), PathKind::Dir);
    assert_eq!(reader.kind(&dir.path().join("absent")), PathKind::Missing);
    #[cfg(unix)]
    {
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&target, &link).expect("a link");
        assert_eq!(reader.kind(&link), PathKind::Link);
        assert!(reader.read(&link).is_err());
    }
}

#[test]
fn a_directory_with_an_extensionless_kustomization_file_is_rendered_in_a_scan() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir_all(dir.path().join(".git")).expect(".git");
    std::fs::create_dir_all(dir.path().join("app")).expect("app");
    let write = |rel: &str, text: &str| std::fs::write(dir.path().join(rel), text).expect("write");
    write(
        "app/Kustomization",
        "namespace: prod\nresources:\n- pod.yaml\n",
    );
    write(
        "app/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n",
    );
    let out = crate::common::output(crate::common::tokenguard().current_dir(dir.path()).args([
        "scan",
        "--format",
        "json",
        "--fail-on",
        "never",
        ".",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let findings: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            (
                text(&f["rule"]),
                text(&f["kustomization"]),
                text(&f["object"]["namespace"]),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [("TG001".to_owned(), "app".to_owned(), "prod".to_owned())]
    );
}
