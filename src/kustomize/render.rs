//! The driver: one root rendered as Kustomize v5 renders it. Per kustomization, its
//! resources in order (files, and bases rendered recursively), then its components
//! (each adds its resources to the same list and transforms all of it), then its own
//! transformers in Kustomize's order; at the root, the name references are fixed and
//! the objects sorted in Kustomize's default ("legacy") order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use compact_str::CompactString;

use super::Reader;
use super::graph::{Graph, Problem, Reason, Root, Target};
use super::node::Node;
use super::transform;
use crate::files::FileId;
use crate::load::{self, Loaded};
use crate::origin::Origin;
use crate::yaml::Span;

/// What a root renders to.
#[derive(Debug)]
pub struct Rendering {
    /// The objects, in `kubectl kustomize` output order.
    pub objects: Vec<Node>,
    /// Every file the rendering read, sorted.
    pub inputs: Vec<PathBuf>,
}

/// How many kustomizations one root may render (a base listed by many overlays that
/// are themselves listed many times multiplies): far above any real repository.
pub const MAX_INCLUSIONS: usize = 10_000;

/// An object being rendered, with what Kustomize keeps about its past names (its
/// build annotations) to fix references at the end.
#[derive(Debug)]
pub(crate) struct Resource {
    pub node: Node,
    /// Earlier (namespace, name) pairs, oldest first; empty if never renamed.
    pub previous: Vec<(CompactString, CompactString)>,
    pub prefixes: Vec<CompactString>,
    pub suffixes: Vec<CompactString>,
}

impl Resource {
    pub fn kind(&self) -> &str {
        self.node.get("kind").and_then(Node::as_str).unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.node
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.node
            .get_path(&["metadata", "name"])
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.node
            .get_path(&["metadata", "namespace"])
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    /// Records the current namespace and name as a previous id, as Kustomize does
    /// before a transformer changes either.
    pub fn store_previous(&mut self) {
        let id = (
            CompactString::from(effective_namespace(self.namespace())),
            CompactString::from(self.name()),
        );
        self.previous.push(id);
    }

    /// The namespace and name it was read with.
    pub fn original(&self) -> (&str, &str) {
        match self.previous.first() {
            Some((namespace, name)) => (namespace, name),
            None => (effective_namespace(self.namespace()), self.name()),
        }
    }

    /// How it is identified in a resource list: group/version/kind, namespace, name.
    fn id(&self) -> (String, String, String) {
        (
            format!("{}/{}", self.api_version(), self.kind()),
            effective_namespace(self.namespace()).to_owned(),
            self.name().to_owned(),
        )
    }
}

/// Kustomize compares namespaces with an unset one standing for `default`.
pub(crate) fn effective_namespace(namespace: &str) -> &str {
    if namespace.is_empty() {
        "default"
    } else {
        namespace
    }
}

/// Renders `root` of `graph`. `files` gives the id of every input (the graph's
/// `root.inputs`); `reader` reads them. A problem the graph found for the root, or
/// one found while rendering, is returned instead: the root is then scanned file by
/// file.
pub fn render(
    graph: &Graph,
    root: &Root,
    files: &dyn Fn(&Path) -> Option<FileId>,
    reader: &dyn Reader,
) -> Result<Rendering, Problem> {
    if let Some(problem) = root.problems.first() {
        return Err(problem.clone());
    }
    let mut renderer = Renderer {
        graph,
        files,
        reader,
        inclusions: 0,
        inputs: Vec::new(),
    };
    let mut resources = renderer.kustomization(root.node, Vec::new())?;
    let root_file = root.file.clone().unwrap_or_else(|| root.dir.clone());
    transform::names::fix_references(&mut resources).map_err(|message| Problem {
        file: root_file.clone(),
        at: Span::default(),
        reason: Reason::AmbiguousReference(message),
    })?;
    resources.retain(|r| {
        r.node
            .get_path(&[
                "metadata",
                "annotations",
                "config.kubernetes.io/local-config",
            ])
            .and_then(Node::as_str)
            != Some("true")
    });
    let mut keyed: Vec<(OrderKey, Node)> = resources
        .into_iter()
        .map(|r| (OrderKey::of(&r), r.node))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut inputs = renderer.inputs;
    inputs.sort();
    inputs.dedup();
    Ok(Rendering {
        objects: keyed.into_iter().map(|(_, node)| node).collect(),
        inputs,
    })
}

struct Renderer<'a> {
    graph: &'a Graph,
    files: &'a dyn Fn(&Path) -> Option<FileId>,
    reader: &'a dyn Reader,
    inclusions: usize,
    inputs: Vec<PathBuf>,
}

impl Renderer<'_> {
    /// Renders the kustomization of node `index` onto `resources`: empty for a
    /// kustomization, the lister's resources for a component.
    fn kustomization(
        &mut self,
        index: usize,
        mut resources: Vec<Resource>,
    ) -> Result<Vec<Resource>, Problem> {
        let graph = self.graph;
        let node = &graph.nodes[index];
        let kfile = node.file.clone().unwrap_or_else(|| node.dir.clone());
        let problem = |at: Span, reason: Reason| Problem {
            file: kfile.clone(),
            at,
            reason,
        };
        self.inclusions += 1;
        if self.inclusions > MAX_INCLUSIONS {
            return Err(problem(
                Span::default(),
                Reason::TooManyInclusions(MAX_INCLUSIONS),
            ));
        }
        let Some(k) = node.kustomization.as_ref() else {
            return Err(node.problems.first().cloned().unwrap_or_else(|| {
                problem(Span::default(), Reason::NoKustomization(shown(&node.dir)))
            }));
        };
        let kid = self.file_id(&kfile)?;
        self.inputs.push(kfile.clone());
        for entry in &node.resources {
            let added =
                match &entry.target {
                    Target::File(path) => self.resource_file(path)?,
                    Target::Kustomization(next) => self.kustomization(*next, Vec::new())?,
                    Target::Unusable => {
                        return Err(node.problems.first().cloned().unwrap_or_else(|| {
                            problem(entry.at, Reason::Missing(shown(&node.dir)))
                        }));
                    }
                };
            append(&mut resources, added).map_err(|id| problem(entry.at, Reason::Collision(id)))?;
        }
        for entry in &node.components {
            match &entry.target {
                Target::Kustomization(next) => {
                    resources = self.kustomization(*next, resources)?;
                }
                _ => {
                    return Err(node
                        .problems
                        .first()
                        .cloned()
                        .unwrap_or_else(|| problem(entry.at, Reason::Missing(shown(&node.dir)))));
                }
            }
        }
        let at = |span: Span| Origin::new(kid, span);
        if let Some(namespace) = &k.namespace {
            transform::namespace::apply(&mut resources, namespace, at)
                .map_err(|id| problem(namespace.key.at, Reason::Collision(id)))?;
        }
        if let Some(prefix) = &k.name_prefix {
            transform::names::prefix(&mut resources, prefix, at);
        }
        if let Some(suffix) = &k.name_suffix {
            transform::names::suffix(&mut resources, suffix, at);
        }
        for set in &k.labels {
            transform::labels::labels(
                &mut resources,
                &set.pairs,
                set.include_selectors,
                set.include_templates,
                at,
            );
        }
        if !k.common_labels.is_empty() {
            transform::labels::labels(&mut resources, &k.common_labels, true, true, at);
        }
        if !k.common_annotations.is_empty() {
            transform::labels::annotations(&mut resources, &k.common_annotations, at);
        }
        Ok(resources)
    }

    fn file_id(&self, path: &Path) -> Result<FileId, Problem> {
        (self.files)(path).ok_or_else(|| Problem {
            file: path.to_path_buf(),
            at: Span::default(),
            reason: Reason::Unregistered(shown(path)),
        })
    }

    /// The objects of a resource file, in file order.
    fn resource_file(&mut self, path: &Path) -> Result<Vec<Resource>, Problem> {
        let id = self.file_id(path)?;
        self.inputs.push(path.to_path_buf());
        let invalid = |at: crate::yaml::Pos, message: String| Problem {
            file: path.to_path_buf(),
            at: Span { start: at, end: at },
            reason: Reason::InvalidResource(shown(path), message),
        };
        let bytes = self.reader.read(path).map_err(|e| Problem {
            file: path.to_path_buf(),
            at: Span::default(),
            reason: Reason::Unreadable(shown(path), e.to_string()),
        })?;
        match load::load(&bytes, &self.graph.limits) {
            Loaded::Manifests {
                stream,
                objects,
                ignored_documents,
                failure,
            } => {
                if let Some(failure) = failure {
                    return Err(invalid(failure.pos, failure.reason));
                }
                if ignored_documents > 0 {
                    return Err(invalid(
                        crate::yaml::Pos::START,
                        "a document that is not a Kubernetes object (no apiVersion or kind)"
                            .to_owned(),
                    ));
                }
                Ok(objects
                    .iter()
                    .map(|&object| Resource {
                        node: Node::from_tree(stream.tree.node(object), id),
                        previous: Vec::new(),
                        prefixes: Vec::new(),
                        suffixes: Vec::new(),
                    })
                    .collect())
            }
            Loaded::Skipped(_) => Err(invalid(
                crate::yaml::Pos::START,
                "a Helm template, not a manifest".to_owned(),
            )),
            Loaded::Failed(failure) => Err(invalid(failure.pos, failure.reason)),
        }
    }
}

/// Appends `added`, refusing an object whose id is already there (Kustomize's "may
/// not add resource with an already registered id"); the error names the id.
fn append(resources: &mut Vec<Resource>, added: Vec<Resource>) -> Result<(), String> {
    let mut ids: HashSet<_> = resources.iter().map(Resource::id).collect();
    for resource in added {
        if !ids.insert(resource.id()) {
            return Err(describe(&resource));
        }
        resources.push(resource);
    }
    Ok(())
}

pub(crate) fn describe(resource: &Resource) -> String {
    match resource.namespace() {
        "" => format!("{} {}", resource.kind(), resource.name()),
        namespace => format!("{} {namespace}/{}", resource.kind(), resource.name()),
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Kustomize's default output order: some kinds first (namespaces, then what others
/// depend on), webhooks last, the rest by group, version and kind; then by namespace
/// and name.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct OrderKey {
    rank: i32,
    gvk: String,
    id: String,
}

const ORDER_FIRST: [&str; 22] = [
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
const ORDER_LAST: [&str; 2] = [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

impl OrderKey {
    fn of(resource: &Resource) -> OrderKey {
        let kind = resource.kind();
        let rank = if let Some(i) = ORDER_FIRST.iter().position(|k| *k == kind) {
            i as i32 - ORDER_FIRST.len() as i32
        } else if let Some(i) = ORDER_LAST.iter().position(|k| *k == kind) {
            i as i32 + 1
        } else {
            0
        };
        let (group, version) = transform::group_version(resource.api_version());
        let or = |text: &str, missing: &str| {
            if text.is_empty() {
                missing.to_owned()
            } else {
                text.to_owned()
            }
        };
        OrderKey {
            rank,
            gvk: format!(
                "{}_{}_{}",
                or(group, "~G"),
                or(version, "~V"),
                or(kind, "~K")
            ),
            id: format!(
                "{}|{}",
                or(resource.namespace(), "~X"),
                or(resource.name(), "~N")
            ),
        }
    }
}
