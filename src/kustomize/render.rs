//! The driver: one root rendered as Kustomize v5 renders it. Per kustomization, its
//! resources in order (files, and bases rendered recursively), then its components
//! (each adds its resources to the same list and transforms all of it), then its own
//! transformers in Kustomize's order; at the root, the name references are fixed and
//! the objects sorted in Kustomize's default ("legacy") order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use compact_str::CompactString;

use super::Reader;
use super::file::{Inline, Patch, PatchSource, SortOrder};
use super::graph::{self, Graph, MAX_DEPTH, ParseFailure, Parsed, Problem, Reason, Root, Target};
use super::node::Node;
use super::patch::strategic::{self, Merged};
use super::patch::{PatchError, PatchKind, Selector, json6902};
use super::resid::{ResId, effective_namespace};
use super::transform;
use super::transform::config::{self, Config, Section};
use super::transform::namespace::NamespaceError;
use super::{generate, replacements, vars};
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
    /// A generated object whose name gets its content hash at the end of the root.
    pub hashed: bool,
    /// The `vars` bound to this object where they were declared.
    pub vars: Vec<vars::Var>,
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
    let root_file = root.file.clone().unwrap_or_else(|| root.dir.clone());
    // Only the root's `sortOptions` and `buildMetadata` count, as in Kustomize.
    let root_kustomization = graph.nodes[root.node].kustomization.as_ref();
    let build_metadata = root_kustomization.map_or(&[][..], |k| &k.build_metadata);
    if let Some((option, field)) = transform::build_metadata::unrendered(build_metadata) {
        return Err(Problem {
            file: root_file,
            at: option.at,
            reason: Reason::NotSupportedYet(field),
        });
    }
    let mut renderer = Renderer {
        graph,
        files,
        reader,
        inclusions: 0,
        inputs: Vec::new(),
        unbound_vars: Vec::new(),
        origin_annotations: None,
        origin_dir: String::new(),
    };
    let keep_origin = transform::build_metadata::origin_annotations(build_metadata);
    if let Some(option) = keep_origin {
        let kid = renderer.file_id(&root_file)?;
        renderer.origin_annotations = Some(transform::build_metadata::OriginAnnotations {
            at: Origin::new(kid, option.at),
        });
    }
    let mut config = None;
    let mut resources = renderer.kustomization(root.node, Vec::new(), 0, &mut config)?;
    // Generated names get their hash once the whole root is transformed, then every
    // reference follows them as it follows a prefix.
    for resource in resources.iter_mut().filter(|r| r.hashed) {
        let Some(hash) = generate::name_hash(&resource.node) else {
            continue;
        };
        resource.store_previous();
        if let Some(name) = resource
            .node
            .get_mut("metadata")
            .and_then(|m| m.get_mut("name"))
        {
            let hashed = format!("{}-{hash}", name.as_str().unwrap_or_default());
            name.value = super::node::Value::Scalar(super::node::Scalar::string(hashed));
        }
    }
    let configured = config.as_ref().map_or(&[][..], Config::name_references);
    transform::names::fix_references(&mut resources, configured).map_err(|message| Problem {
        file: root_file.clone(),
        at: Span::default(),
        reason: Reason::AmbiguousReference(message),
    })?;
    // Vars resolve once names are final, before objects only used to build are dropped.
    let bound: Vec<(vars::Var, Option<usize>)> = resources
        .iter_mut()
        .enumerate()
        .flat_map(|(i, r)| {
            std::mem::take(&mut r.vars)
                .into_iter()
                .map(move |v| (v, Some(i)))
        })
        .chain(renderer.unbound_vars.drain(..).map(|v| (v, None)))
        .collect();
    if !bound.is_empty() {
        let mut nodes = take_nodes(&mut resources);
        let references = config
            .as_ref()
            .and_then(|c| c.configured(Section::VarReference));
        let resolved = vars::resolve(&mut nodes, &bound, references.as_deref());
        put_nodes(&mut resources, nodes);
        resolved.map_err(|e| Problem {
            file: renderer
                .path_of(e.at.file)
                .unwrap_or_else(|| root_file.clone()),
            at: e.at.span,
            reason: Reason::Var(e.to_string()),
        })?;
    }
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
    // Kustomize removes its build annotations at the end, and with them an
    // `annotations` map left empty (or written empty).
    transform::build_metadata::remove_build_annotations(&mut resources, keep_origin.is_some());
    for resource in &mut resources {
        if let Some(metadata) = resource.node.get_mut("metadata")
            && metadata
                .get("annotations")
                .is_some_and(|a| a.is_null() || a.as_map().is_some_and(<[_]>::is_empty))
        {
            metadata.remove("annotations");
        }
    }
    if let Some(option) = transform::build_metadata::managed_by_label(build_metadata) {
        let kid = renderer.file_id(&root_file)?;
        transform::build_metadata::managed_by(&mut resources, option, |span| {
            Origin::new(kid, span)
        });
    }
    let objects = match root_kustomization.and_then(|k| k.sort_order.as_ref()) {
        Some(SortOrder::Fifo) => resources.into_iter().map(|r| r.node).collect(),
        Some(SortOrder::Legacy(Some(kinds))) => sorted(resources, &kinds.first, &kinds.last),
        Some(SortOrder::Legacy(None)) | None => sorted(resources, &ORDER_FIRST, &ORDER_LAST),
    };
    let mut inputs = renderer.inputs;
    inputs.sort();
    inputs.dedup();
    Ok(Rendering { objects, inputs })
}

struct Renderer<'a> {
    graph: &'a Graph,
    /// Set by the root's `buildMetadata: [originAnnotations]`.
    origin_annotations: Option<transform::build_metadata::OriginAnnotations>,
    /// The directory of the kustomization being rendered, as origin annotations name
    /// it: the paths written from the root to it, joined.
    origin_dir: String,
    files: &'a dyn Fn(&Path) -> Option<FileId>,
    reader: &'a dyn Reader,
    inclusions: usize,
    inputs: Vec<PathBuf>,
    /// Vars whose object was not among the objects where they were declared.
    unbound_vars: Vec<vars::Var>,
}

impl Renderer<'_> {
    /// Renders the kustomization of node `index` onto `resources`: empty for a
    /// kustomization, the lister's resources for a component. `config` is what the
    /// build accumulated of `configurations` (a component's lister's; `None` for a
    /// kustomization), and gets this one's and its bases'.
    fn kustomization(
        &mut self,
        index: usize,
        mut resources: Vec<Resource>,
        depth: usize,
        config: &mut Option<Config>,
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
        // The graph bounds the depth it walks; a longer path through kustomizations it
        // reached by a shorter one is bounded here, before it can exhaust the stack.
        if depth > MAX_DEPTH {
            return Err(problem(Span::default(), Reason::TooDeep(MAX_DEPTH)));
        }
        let Some(k) = node.kustomization.as_ref() else {
            return Err(node.problems.first().cloned().unwrap_or_else(|| {
                problem(Span::default(), Reason::NoKustomization(shown(&node.dir)))
            }));
        };
        let kid = self.file_id(&kfile)?;
        self.inputs.push(kfile.clone());
        // Origin annotations name each file by the paths written on the way to it.
        let origin_dir = self.origin_dir.clone();
        for (entry, item) in node.resources.iter().zip(&k.resources) {
            let origin = self.origin_path(&origin_dir, &item.text);
            let added =
                match &entry.target {
                    Target::File(path) => self.resource_file(path, &origin)?,
                    Target::Kustomization(next) => {
                        self.origin_dir = origin;
                        let mut base = None;
                        let added = self.kustomization(*next, Vec::new(), depth + 1, &mut base)?;
                        self.origin_dir.clone_from(&origin_dir);
                        if let Some(base) = &base {
                            config::accumulate(config, base)
                                .map_err(|e| self.config_problem(&e, &kfile))?;
                        }
                        added
                    }
                    Target::Unusable => {
                        return Err(node.problems.first().cloned().unwrap_or_else(|| {
                            problem(entry.at, Reason::Missing(shown(&node.dir)))
                        }));
                    }
                };
            append(&mut resources, added).map_err(|id| problem(entry.at, Reason::Collision(id)))?;
        }
        let mut files = Vec::new();
        for item in &k.configurations {
            let path = graph::normalize(&node.dir.join(&item.text));
            // The graph checked each input against the load restrictor.
            if !node.other_files.contains(&path) {
                return Err(problem(
                    item.at,
                    Reason::OutsideLoadRestrictor(item.text.clone()),
                ));
            }
            files.push(self.configuration(&path)?);
        }
        let own = config::of_files(&files).map_err(|e| self.config_problem(&e, &kfile))?;
        config::accumulate(config, &own).map_err(|e| self.config_problem(&e, &kfile))?;
        if k.generates {
            let knode = self.kustomization_node(&kfile, kid)?;
            let mut read_paths = Vec::new();
            let mut read = |rel: &str, at: Origin| {
                let path = graph::normalize(&node.dir.join(rel));
                let unreadable = |reason: String| generate::GenError {
                    at,
                    kind: generate::GenErrorKind::Unreadable {
                        path: rel.to_owned(),
                        reason,
                    },
                };
                // The graph checked each input against the load restrictor.
                if !node.other_files.contains(&path) {
                    return Err(unreadable(
                        "not a file under the kustomization's directory".to_owned(),
                    ));
                }
                let bytes = self
                    .reader
                    .read(&path)
                    .map_err(|e| unreadable(e.to_string()))?;
                read_paths.push(path);
                Ok(bytes)
            };
            let generated = generate::generate(&knode, &mut read)
                .map_err(|e| problem(e.at.span, Reason::Generator(e.to_string())))?;
            self.inputs.extend(read_paths);
            for mut object in generated {
                if let Some(origins) = &self.origin_annotations {
                    let kind = object.node.get("kind").and_then(Node::as_str).unwrap_or("");
                    let kind = kind.to_owned();
                    let name = kfile.file_name().map(|n| n.to_string_lossy());
                    let configured_in = join_clean(&origin_dir, name.as_deref().unwrap_or(""));
                    origins.generated(&mut object.node, &kind, &configured_in);
                }
                absorb(&mut resources, object)
                    .map_err(|e| problem(e.at.span, Reason::Generator(e.to_string())))?;
            }
        }
        for (entry, item) in node.components.iter().zip(&k.components) {
            match &entry.target {
                Target::Kustomization(next) => {
                    self.origin_dir = self.origin_path(&origin_dir, &item.text);
                    resources = self.kustomization(*next, resources, depth + 1, config)?;
                    self.origin_dir.clone_from(&origin_dir);
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
        for (item, inline) in k.maybe_files.iter().zip(&k.strategic_merge_inline) {
            let path = graph::normalize(&node.dir.join(&item.text));
            let (documents, file) = if node.other_files.contains(&path) {
                (self.patch_file(&path)?, path)
            } else {
                (parse_inline(inline, kid, &kfile)?, kfile.clone())
            };
            let failed = |e: String| problem(item.at, Reason::Patch(e));
            for patch in documents.iter().filter(|d| !d.is_null()) {
                patch_by_id(&mut resources, patch, strategic::Options::default(), &file)
                    .map_err(failed)?;
            }
        }
        // The kustomization as a tree, read once if a patch target needs it.
        let mut tree: Option<Node> = None;
        for (i, patch) in k.patches.iter().enumerate() {
            self.patch(
                &mut resources,
                patch,
                ("patches", i),
                &mut tree,
                node,
                kid,
                false,
            )?;
        }
        // Set by `accumulate` above: every kustomization has at least Kustomize's own.
        let config = config.get_or_insert_with(Config::default);
        if let Some(namespace) = &k.namespace {
            let configured = config.configured(Section::Namespace);
            transform::namespace::apply(&mut resources, namespace, configured.as_deref(), at)
                .map_err(|e| match e {
                    NamespaceError::Collision(id) => {
                        problem(namespace.key.at, Reason::Collision(id))
                    }
                    NamespaceError::NotAString(e) => {
                        problem(namespace.key.at, Reason::Configuration(e))
                    }
                })?;
        }
        if let Some(prefix) = &k.name_prefix {
            transform::names::prefix(
                &mut resources,
                prefix,
                &config.specs(Section::NamePrefix),
                at,
            )
            .map_err(|e| problem(prefix.key.at, Reason::Configuration(e)))?;
        }
        if let Some(suffix) = &k.name_suffix {
            transform::names::suffix(
                &mut resources,
                suffix,
                &config.specs(Section::NameSuffix),
                at,
            )
            .map_err(|e| problem(suffix.key.at, Reason::Configuration(e)))?;
        }
        let label_specs = transform::labels::Configured {
            labels: config.configured(Section::Labels),
            common: config.configured(Section::CommonLabels),
            templates: config.configured(Section::TemplateLabels),
        };
        for set in &k.labels {
            let fields: Vec<_> = set.fields.iter().map(transform::FieldSpec::of).collect();
            let include = (set.include_selectors, set.include_templates);
            transform::labels::labels(
                &mut resources,
                &set.pairs,
                include,
                &fields,
                &label_specs,
                at,
            )
            .map_err(|(i, path)| match set.fields.get(i) {
                Some(field) => problem(field.at, Reason::ConflictingFieldSpec(path)),
                // Between the specs of configurations: Kustomize's error at the entry.
                None => problem(
                    set.pairs.first().map_or(Span::default(), |p| p.key.at),
                    Reason::ConflictingFieldSpec(path),
                ),
            })?;
        }
        if !k.common_labels.is_empty() {
            let common = label_specs.common.as_deref();
            transform::labels::common_labels(&mut resources, &k.common_labels, common, at);
        }
        if !k.common_annotations.is_empty() {
            let configured = config.configured(Section::CommonAnnotations);
            let configured = configured.as_deref();
            transform::labels::annotations(&mut resources, &k.common_annotations, configured, at);
        }
        for (i, patch) in k.patches_json6902.iter().enumerate() {
            self.patch(
                &mut resources,
                patch,
                ("patchesJson6902", i),
                &mut tree,
                node,
                kid,
                true,
            )?;
        }
        if k.has_replicas || k.has_images {
            if tree.is_none() {
                tree = Some(self.kustomization_node(&kfile, kid)?);
            }
            if let Some(knode) = &tree {
                // An image that is not a string is an error in the file that has it.
                let failed = |at: Origin, reason: Reason| Problem {
                    file: self.path_of(at.file).unwrap_or_else(|| kfile.clone()),
                    at: at.span,
                    reason,
                };
                let replica_failed = |e: transform::replicas::ReplicaError| {
                    failed(e.at(), Reason::Replicas(e.to_string()))
                };
                for replica in transform::replicas::read(knode).map_err(replica_failed)? {
                    let configured = config.configured(Section::Replicas);
                    transform::replicas::apply(&mut resources, &replica, configured.as_deref())
                        .map_err(replica_failed)?;
                }
                let image_failed = |e: transform::images::ImageError| {
                    failed(e.at(), Reason::Images(e.to_string()))
                };
                let images = config.configured(Section::Images);
                for image in transform::images::read(knode).map_err(image_failed)? {
                    transform::images::apply(&mut resources, &image, images.as_deref())
                        .map_err(image_failed)?;
                }
            }
        }
        if k.replaces {
            let knode = self.kustomization_node(&kfile, kid)?;
            self.replacements(&mut resources, &knode, &kfile, &node.other_files)
                .map_err(|(file, e)| Problem {
                    file,
                    at: e.at.span,
                    reason: Reason::Replacement(e.to_string()),
                })?;
        }
        if k.has_vars {
            let knode = self.kustomization_node(&kfile, kid)?;
            let var_problem = |e: vars::VarError| problem(e.at.span, Reason::Var(e.to_string()));
            let declared = vars::read(&knode).map_err(var_problem)?;
            let previous = previous_ids(&resources);
            let nodes = take_nodes(&mut resources);
            let bound: Result<Vec<_>, _> = declared
                .into_iter()
                .map(|var| vars::bind(&var, &nodes, &previous).map(|index| (var, index)))
                .collect();
            put_nodes(&mut resources, nodes);
            for (var, index) in bound.map_err(var_problem)? {
                match index.and_then(|i| resources.get_mut(i)) {
                    Some(resource) => resource.vars.push(var),
                    None => self.unbound_vars.push(var),
                }
            }
        }
        Ok(resources)
    }

    /// `rel` joined to `dir` as origin annotations name files; empty when the root
    /// asks for none, which is most renders.
    fn origin_path(&self, dir: &str, rel: &str) -> String {
        match self.origin_annotations {
            Some(_) => join_clean(dir, rel),
            None => String::new(),
        }
    }

    /// The path of an input the rendering read, by its id.
    fn path_of(&self, id: FileId) -> Option<PathBuf> {
        self.inputs
            .iter()
            .find(|path| (self.files)(path) == Some(id))
            .cloned()
    }

    fn file_id(&self, path: &Path) -> Result<FileId, Problem> {
        (self.files)(path).ok_or_else(|| Problem {
            file: path.to_path_buf(),
            at: Span::default(),
            reason: Reason::Unregistered(shown(path)),
        })
    }

    /// Applies one `patches` (or, with `json_only`, `patchesJson6902`) entry: its
    /// documents from its file or inline text, to the objects its `target` selects, or
    /// a strategic merge patch to the object it names.
    #[allow(clippy::too_many_arguments)]
    fn patch(
        &mut self,
        resources: &mut Vec<Resource>,
        patch: &Patch,
        (field, index): (&str, usize),
        tree: &mut Option<Node>,
        node: &graph::Node,
        kid: FileId,
        json_only: bool,
    ) -> Result<(), Problem> {
        let kfile = node.file.clone().unwrap_or_else(|| node.dir.clone());
        let failed = |e: String| Problem {
            file: kfile.clone(),
            at: patch.at,
            reason: Reason::Patch(e),
        };
        let (documents, file) = match &patch.source {
            PatchSource::File(item) => {
                let path = graph::normalize(&node.dir.join(&item.text));
                (self.patch_file(&path)?, path)
            }
            PatchSource::Inline(inline) => (parse_inline(inline, kid, &kfile)?, kfile.clone()),
        };
        let selector = match patch.target {
            None => None,
            Some(_) => {
                if tree.is_none() {
                    *tree = Some(self.kustomization_node(&kfile, kid)?);
                }
                let target = tree
                    .as_ref()
                    .and_then(|t| t.get(field))
                    .and_then(Node::as_seq)
                    .and_then(|entries| entries.get(index))
                    .and_then(|entry| entry.get("target"));
                let Some(target) = target else {
                    return Err(failed("the patch's target cannot be read".to_owned()));
                };
                Some(Selector::read(target).map_err(|e| failed(located(&e, &kfile)))?)
            }
        };
        let options = strategic::Options {
            allow_name_change: patch.allow_name_change,
            allow_kind_change: patch.allow_kind_change,
        };
        let present: Vec<&Node> = documents.iter().filter(|d| !d.is_null()).collect();
        let kind = PatchKind::of(&documents).map_err(|e| failed(located(&e, &file)))?;
        match (kind, selector) {
            (PatchKind::Strategic, _) if json_only => Err(failed(
                "a patchesJson6902 entry must hold a list of operations".to_owned(),
            )),
            (PatchKind::Strategic, None) => {
                for document in present {
                    patch_by_id(resources, document, options, &file).map_err(failed)?;
                }
                Ok(())
            }
            (PatchKind::Strategic, Some(selector)) => {
                let [document] = present.as_slice() else {
                    return Err(failed(
                        "a patch with a target holds one strategic merge patch".to_owned(),
                    ));
                };
                let mut i = 0;
                while i < resources.len() {
                    if selector.matches(&resources[i].node, &original_id(&resources[i])) {
                        let merged =
                            strategic::merge_with(&mut resources[i].node, document, options)
                                .map_err(|e| failed(located(&e, &file)))?;
                        if merged == Merged::Deleted {
                            resources.remove(i);
                            continue;
                        }
                    }
                    i += 1;
                }
                Ok(())
            }
            (PatchKind::Json6902, None) => {
                Err(failed("a JSON 6902 patch needs a `target`".to_owned()))
            }
            (PatchKind::Json6902, Some(selector)) => {
                let Some(operations) = present.first() else {
                    return Ok(());
                };
                for resource in resources.iter_mut() {
                    if selector.matches(&resource.node, &original_id(resource)) {
                        resource.store_previous();
                        // Kustomize's objects always carry its build annotations while it
                        // patches them, so `add /metadata/annotations/x` finds the map;
                        // one left empty is removed at the end of the root.
                        if let Some(metadata) = resource.node.get_mut("metadata")
                            && metadata.get("annotations").is_none_or(Node::is_null)
                        {
                            let at = metadata.at;
                            metadata.set(
                                "annotations",
                                at,
                                Node::new(super::node::Value::Map(Vec::new()), at),
                            );
                        }
                        json6902::apply(&mut resource.node, operations)
                            .map_err(|e| failed(located(&e, &file)))?;
                    }
                }
                Ok(())
            }
        }
    }

    /// A `configurations` file, read strictly.
    fn configuration(&mut self, path: &Path) -> Result<Config, Problem> {
        let id = self.file_id(path)?;
        self.inputs.push(path.to_path_buf());
        let failed = |at: crate::yaml::Pos, message: String| Problem {
            file: path.to_path_buf(),
            at: Span { start: at, end: at },
            reason: Reason::Configuration(message),
        };
        let bytes = self.reader.read(path).map_err(|e| Problem {
            file: path.to_path_buf(),
            at: Span::default(),
            reason: Reason::Unreadable(shown(path), e.to_string()),
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            failed(
                crate::yaml::Pos::START,
                format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
            )
        })?;
        let stream = crate::yaml::parse(text, &self.graph.limits);
        if let Some(e) = &stream.error {
            return Err(failed(e.pos, format!("invalid YAML: {}", e.kind)));
        }
        let root = stream
            .documents
            .first()
            .map(|doc| Node::from_tree(stream.tree.node(doc.root), id));
        config::read(root.as_ref()).map_err(|e| self.config_problem(&e, path))
    }

    /// A configuration problem, in the file at fault.
    fn config_problem(&self, e: &config::ConfigError, fallback: &Path) -> Problem {
        let at = e.at();
        Problem {
            file: self
                .path_of(at.file)
                .unwrap_or_else(|| fallback.to_path_buf()),
            at: at.span,
            reason: Reason::Configuration(e.to_string()),
        }
    }

    /// The kustomization file as a tree, for the generators and replacements that read
    /// it directly.
    fn kustomization_node(&self, file: &Path, id: FileId) -> Result<Node, Problem> {
        let bytes = self.reader.read(file).map_err(|e| Problem {
            file: file.to_path_buf(),
            at: Span::default(),
            reason: Reason::Unreadable(shown(file), e.to_string()),
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let stream = crate::yaml::parse(&text, &self.graph.limits);
        match stream.documents.first() {
            Some(doc) => Ok(Node::from_tree(stream.tree.node(doc.root), id)),
            None => Err(Problem {
                file: file.to_path_buf(),
                at: Span::default(),
                reason: Reason::NoKustomization(shown(file)),
            }),
        }
    }

    /// Runs a kustomization's `replacements` over the objects, which keep their
    /// earlier ids for the selectors. An error names the file at fault.
    fn replacements(
        &mut self,
        resources: &mut [Resource],
        kustomization: &Node,
        kfile: &Path,
        files: &[PathBuf],
    ) -> Result<(), (PathBuf, replacements::ReplacementError)> {
        let dir = kfile.parent().unwrap_or(Path::new(""));
        let previous = previous_ids(resources);
        let mut nodes = take_nodes(resources);
        let mut failed_in = kfile.to_path_buf();
        let mut read = |rel: &str, at: Origin| {
            let path = graph::normalize(&dir.join(rel));
            let error = |reason: String| replacements::ReplacementError {
                at,
                kind: replacements::ReplacementErrorKind::Unreadable {
                    path: rel.to_owned(),
                    reason,
                },
            };
            if !files.contains(&path) {
                return Err(error(
                    "not a file under the kustomization's directory".to_owned(),
                ));
            }
            let id = (self.files)(&path).ok_or_else(|| error("not registered".to_owned()))?;
            let bytes = self.reader.read(&path).map_err(|e| error(e.to_string()))?;
            let text = String::from_utf8_lossy(&bytes);
            let mut documents = parse_patch(&text, id, (0, 0)).map_err(|(_, m)| error(m))?;
            self.inputs.push(path.clone());
            failed_in = path;
            match documents.len() {
                1 => Ok(documents.remove(0)),
                _ => Err(error(
                    "a replacement file holds one YAML document".to_owned(),
                )),
            }
        };
        let result = replacements::apply(&mut nodes, &previous, kustomization, &mut read);
        put_nodes(resources, nodes);
        result.map_err(|e| {
            let file = if e.at.file == kustomization.at.file {
                kfile.to_path_buf()
            } else {
                failed_in
            };
            (file, e)
        })
    }

    /// The documents of a patch file, each node at its line in the file.
    fn patch_file(&mut self, path: &Path) -> Result<Vec<Node>, Problem> {
        let id = self.file_id(path)?;
        self.inputs.push(path.to_path_buf());
        let bytes = self.reader.read(path).map_err(|e| Problem {
            file: path.to_path_buf(),
            at: Span::default(),
            reason: Reason::Unreadable(shown(path), e.to_string()),
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| Problem {
            file: path.to_path_buf(),
            at: Span::default(),
            reason: Reason::InvalidResource(shown(path), format!("not valid UTF-8 ({e})")),
        })?;
        parse_patch(text, id, (0, 0)).map_err(|(at, message)| Problem {
            file: path.to_path_buf(),
            at: Span { start: at, end: at },
            reason: Reason::InvalidResource(shown(path), message),
        })
    }

    /// The objects of a resource file, in file order.
    /// `origin` is its path as origin annotations name it.
    fn resource_file(&mut self, path: &Path, origin: &str) -> Result<Vec<Resource>, Problem> {
        let id = self.file_id(path)?;
        self.inputs.push(path.to_path_buf());
        let reader = self.reader;
        let limits = &self.graph.limits;
        let parsed = self
            .graph
            .parsed
            .get_or_parse(path, || parse_resource_file(reader, limits, path, id));
        // The only (or last) root to read a file takes its objects; the others copy them.
        match std::sync::Arc::unwrap_or_clone(parsed) {
            Ok(objects) => Ok(objects
                .into_iter()
                .map(|mut node| {
                    if let Some(origins) = &self.origin_annotations {
                        origins.read_from(&mut node, origin);
                    }
                    Resource {
                        node,
                        previous: Vec::new(),
                        prefixes: Vec::new(),
                        suffixes: Vec::new(),
                        hashed: false,
                        vars: Vec::new(),
                    }
                })
                .collect()),
            Err(ParseFailure::Unreadable(message)) => Err(Problem {
                file: path.to_path_buf(),
                at: Span::default(),
                reason: Reason::Unreadable(shown(path), message),
            }),
            Err(ParseFailure::Invalid(at, message)) => Err(Problem {
                file: path.to_path_buf(),
                at: Span { start: at, end: at },
                reason: Reason::InvalidResource(shown(path), message),
            }),
        }
    }
}

/// The objects of resource file `path` (file `id`), as the renderer reads them.
fn parse_resource_file(
    reader: &dyn Reader,
    limits: &crate::yaml::Limits,
    path: &Path,
    id: FileId,
) -> Parsed {
    let bytes = reader
        .read(path)
        .map_err(|e| ParseFailure::Unreadable(e.to_string()))?;
    let invalid = |at: crate::yaml::Pos, message: String| ParseFailure::Invalid(at, message);
    match load::load(&bytes, limits) {
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
                    "a document that is not a Kubernetes object (no apiVersion or kind)".to_owned(),
                ));
            }
            Ok(objects
                .iter()
                .map(|&object| Node::from_tree(stream.tree.node(object), id))
                .collect())
        }
        Loaded::Skipped(_) => Err(invalid(
            crate::yaml::Pos::START,
            "a Helm template, not a manifest".to_owned(),
        )),
        Loaded::Failed(failure) => Err(invalid(failure.pos, failure.reason)),
    }
}

/// The documents of a patch's text; `shift` (lines, columns) places a patch written
/// inside the kustomization file at its lines there.
fn parse_patch(
    text: &str,
    file: FileId,
    shift: (u32, u32),
) -> Result<Vec<Node>, (crate::yaml::Pos, String)> {
    let limits = crate::yaml::Limits::default();
    let stream = if text.trim_start().starts_with('{') {
        crate::yaml::parse_json(text, &limits)
    } else {
        crate::yaml::parse(text, &limits)
    };
    if let Some(e) = stream.error {
        let at = crate::yaml::Pos {
            line: e.pos.line + shift.0,
            col: e.pos.col + shift.1,
        };
        return Err((at, format!("invalid patch: {}", e.kind)));
    }
    Ok(stream
        .documents
        .iter()
        .map(|doc| {
            let mut node = Node::from_tree(stream.tree.node(doc.root), file);
            if shift != (0, 0) {
                node.shift(shift.0, shift.1);
            }
            node
        })
        .collect())
}

/// An inline patch of kustomization file `file` (id `id`), each node at its line there.
fn parse_inline(inline: &Inline, id: FileId, file: &Path) -> Result<Vec<Node>, Problem> {
    let shift = (inline.line.saturating_sub(1), inline.col.saturating_sub(1));
    parse_patch(&inline.text, id, shift).map_err(|(at, message)| Problem {
        file: file.to_path_buf(),
        at: Span { start: at, end: at },
        reason: Reason::InvalidResource(shown(file), message),
    })
}

/// A patch error with the line of the patch text at fault (in `file`).
fn located(e: &PatchError, file: &Path) -> String {
    let at = e.at().span.start;
    format!("{}:{}:{}: {e}", shown(file), at.line, at.col)
}

/// Applies a strategic merge patch to the one object its own kind, name and namespace
/// name (now or before a rename), as Kustomize does for a patch without a `target`.
fn patch_by_id(
    resources: &mut Vec<Resource>,
    patch: &Node,
    options: strategic::Options,
    file: &Path,
) -> Result<(), String> {
    let id = ResId::of(patch);
    let matches: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.kind() == id.kind && {
                let current = ResId::of(&r.node);
                current.same(&id)
                    || r.previous.iter().any(|(namespace, name)| {
                        let earlier = ResId {
                            namespace: namespace.to_string(),
                            name: name.to_string(),
                            ..current.clone()
                        };
                        earlier.same(&id)
                    })
            }
        })
        .map(|(i, _)| i)
        .collect();
    let (kind, name) = (&id.kind, &id.name);
    let shown_id = match effective_namespace(&id.namespace) {
        "default" => format!("{kind} {name}"),
        namespace => format!("{kind} {namespace}/{name}"),
    };
    let &[index] = matches.as_slice() else {
        return Err(if matches.is_empty() {
            format!("no object matches the strategic merge patch of {shown_id}")
        } else {
            format!("several objects match the strategic merge patch of {shown_id}")
        });
    };
    match strategic::merge_with(&mut resources[index].node, patch, options) {
        Ok(Merged::Patched) => Ok(()),
        Ok(Merged::Deleted) => {
            resources.remove(index);
            Ok(())
        }
        Err(e) => Err(located(&e, file)),
    }
}

/// The id an object was read with, for patch targets (which match it or the current).
fn original_id(resource: &Resource) -> ResId {
    let mut id = ResId::of(&resource.node);
    if let Some((namespace, name)) = resource.previous.first() {
        id.name = name.to_string();
        id.namespace = namespace.to_string();
    }
    id
}

/// Each object's earlier ids, for the selectors of replacements and vars.
fn previous_ids(resources: &[Resource]) -> Vec<Vec<ResId>> {
    resources
        .iter()
        .map(|r| {
            let current = ResId::of(&r.node);
            r.previous
                .iter()
                .map(|(namespace, name)| ResId {
                    name: name.to_string(),
                    namespace: namespace.to_string(),
                    ..current.clone()
                })
                .collect()
        })
        .collect()
}

/// The objects' trees, moved out (each leaving an empty placeholder) for the
/// transformers that work on a slice of trees; [`put_nodes`] moves them back.
fn take_nodes(resources: &mut [Resource]) -> Vec<Node> {
    resources
        .iter_mut()
        .map(|r| {
            let empty = Node::new(super::node::Value::Seq(Vec::new()), r.node.at);
            std::mem::replace(&mut r.node, empty)
        })
        .collect()
}

fn put_nodes(resources: &mut [Resource], nodes: Vec<Node>) {
    for (resource, node) in resources.iter_mut().zip(nodes) {
        resource.node = node;
    }
}

/// Adds a generated object to the objects so far, as its `behavior` says: it takes
/// the place of the one object whose current or original kind, name and namespace
/// are its own, or is appended.
fn absorb(
    resources: &mut Vec<Resource>,
    object: generate::Generated,
) -> Result<(), generate::GenError> {
    let text = |node: &Node, path: &[&str]| {
        node.get_path(path)
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let kind = text(&object.node, &["kind"]);
    let name = text(&object.node, &["metadata", "name"]);
    let namespace = text(&object.node, &["metadata", "namespace"]);
    let namespace = effective_namespace(&namespace);
    let matches: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let (original_namespace, original_name) = r.original();
            r.kind() == kind
                && ((r.name() == name && effective_namespace(r.namespace()) == namespace)
                    || (original_name == name && original_namespace == namespace))
        })
        .map(|(i, _)| i)
        .collect();
    let pairs: Vec<(&Node, bool)> = matches
        .iter()
        .map(|&i| (&resources[i].node, resources[i].hashed))
        .collect();
    // A merge keeps the origin annotation of the object it merges into.
    let origin = match (matches.as_slice(), object.behavior) {
        ([one], generate::Behavior::Merge) => resources[*one]
            .node
            .get_path(&["metadata", "annotations"])
            .and_then(|a| a.entry(transform::build_metadata::ORIGIN_KEY))
            .cloned(),
        _ => None,
    };
    let (mut node, hashed) = object.absorb(&pairs)?;
    if let Some(origin) = origin
        && let Some(annotations) = node
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
    {
        annotations.set(&origin.key, origin.key_at, origin.value);
    }
    match matches.as_slice() {
        [one] => {
            resources[*one].node = node;
            resources[*one].hashed = hashed;
        }
        _ => resources.push(Resource {
            node,
            previous: Vec::new(),
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            hashed,
            vars: Vec::new(),
        }),
    }
    Ok(())
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

/// `rel` joined to `base` and cleaned as Go's `filepath.Join` does it, lexically: `.`
/// and `dir/..` go, leading `..` stay.
fn join_clean(base: &str, rel: &str) -> String {
    let absolute = rel.starts_with('/') || (rel.is_empty() && base.starts_with('/'));
    let joined = if rel.starts_with('/') { "" } else { base };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/').chain(rel.split('/')) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            part => parts.push(part),
        }
    }
    match (absolute, parts.join("/")) {
        (true, path) => format!("/{path}"),
        (false, path) if path.is_empty() => ".".to_owned(),
        (false, path) => path,
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// The objects in Kustomize's legacy order: the kinds of `first` first and of `last`
/// last, each in their list's order, the rest by group, version and kind; then by
/// namespace and name.
fn sorted<S: AsRef<str>>(resources: Vec<Resource>, first: &[S], last: &[S]) -> Vec<Node> {
    let mut keyed: Vec<(OrderKey, Node)> = resources
        .into_iter()
        .map(|r| (OrderKey::of(&r, first, last), r.node))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, node)| node).collect()
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

/// A kind's rank in Kustomize's default order (negative first, positive last).
pub(crate) fn kind_rank(kind: &str) -> i32 {
    if let Some(i) = ORDER_FIRST.iter().position(|k| *k == kind) {
        i as i32 - ORDER_FIRST.len() as i32
    } else if let Some(i) = ORDER_LAST.iter().position(|k| *k == kind) {
        i as i32 + 1
    } else {
        0
    }
}

impl OrderKey {
    /// A kind listed twice ranks by its last place, and `last` wins over `first`, as
    /// in Kustomize's map of ranks.
    fn of<S: AsRef<str>>(resource: &Resource, first: &[S], last: &[S]) -> OrderKey {
        let kind = resource.kind();
        let rank = if let Some(i) = last.iter().rposition(|k| k.as_ref() == kind) {
            i as i32 + 1
        } else if let Some(i) = first.iter().rposition(|k| k.as_ref() == kind) {
            i as i32 - first.len() as i32
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::graph::plan;
    use crate::kustomize::testing::memory;
    use crate::yaml::Limits;

    /// Plans and renders the root in `r/root`, every input numbered in path order.
    fn render_root(files: &[(String, String)]) -> Result<Rendering, Problem> {
        let dirs: Vec<PathBuf> = files
            .iter()
            .filter(|(path, _)| path.ends_with("/kustomization.yaml"))
            .filter_map(|(path, _)| Path::new(path).parent().map(Path::to_path_buf))
            .collect();
        let reader = memory(files);
        let graph = plan(&dirs, Path::new("r"), &reader, &Limits::default());
        let root = graph
            .roots
            .iter()
            .find(|r| r.dir == Path::new("r/root"))
            .expect("r/root is a root");
        let id = |path: &Path| {
            root.inputs
                .iter()
                .position(|p| p == path)
                .map(|i| FileId(i as u32))
        };
        render(&graph, root, &id, &reader)
    }

    fn file(path: &str, text: &str) -> (String, String) {
        (path.to_owned(), text.to_owned())
    }

    #[test]
    fn origin_paths_join_as_go_joins_them_lexically() {
        assert_eq!(join_clean("", "a.yaml"), "a.yaml");
        assert_eq!(join_clean("", "./base"), "base");
        assert_eq!(join_clean("../mid", "local.yaml"), "../mid/local.yaml");
        assert_eq!(join_clean("../mid", "../base"), "../base");
        // Leading `..` stay as written, however far up they go.
        assert_eq!(
            join_clean("", "../../../manifests/ui"),
            "../../../manifests/ui"
        );
        assert_eq!(join_clean("../../a", "../../b/k.yaml"), "../../../b/k.yaml");
        assert_eq!(join_clean("x", "/abs/y.yaml"), "/abs/y.yaml");
    }

    #[test]
    fn a_deep_chain_of_bases_is_bounded() {
        let mut files = vec![file("r/root/kustomization.yaml", "resources:\n- ../k0\n")];
        for i in 0..150 {
            let next = format!("resources:\n- ../k{}\n", i + 1);
            files.push((format!("r/k{i}/kustomization.yaml"), next));
        }
        files.push(file("r/k150/kustomization.yaml", "resources: []\n"));
        let problem = render_root(&files).expect_err("too deep");
        assert_eq!(problem.reason, Reason::TooDeep(MAX_DEPTH));
        assert_eq!(problem.at.start.line, 2);
    }

    #[test]
    fn a_base_included_over_and_over_is_bounded() {
        // Four levels of ten, each listing all ten of the next: 11,111 inclusions.
        let level = |n: usize| -> String {
            (0..10).fold(String::from("resources:\n"), |text, i| {
                text + &format!("- ../l{n}x{i}\n")
            })
        };
        let mut files = vec![file("r/root/kustomization.yaml", &level(1))];
        for n in 1..=4 {
            for i in 0..10 {
                let text = if n < 4 {
                    level(n + 1)
                } else {
                    "resources: []\n".to_owned()
                };
                files.push((format!("r/l{n}x{i}/kustomization.yaml"), text));
            }
        }
        let problem = render_root(&files).expect_err("too many inclusions");
        assert_eq!(problem.reason, Reason::TooManyInclusions(MAX_INCLUSIONS));
    }

    #[test]
    fn an_object_added_twice_is_a_collision_at_the_second_entry() {
        let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n";
        let files = [
            file(
                "r/root/kustomization.yaml",
                "resources:\n- a.yaml\n- ../base\n",
            ),
            file("r/root/a.yaml", sa),
            file("r/base/kustomization.yaml", "resources:\n- a.yaml\n"),
            file("r/base/a.yaml", sa),
        ];
        let problem = render_root(&files).expect_err("a collision");
        assert_eq!(
            problem.reason,
            Reason::Collision("ServiceAccount a".to_owned())
        );
        assert_eq!(problem.file, Path::new("r/root/kustomization.yaml"));
        assert_eq!(problem.at.start.line, 3);
    }

    #[test]
    fn objects_come_out_in_kustomizes_legacy_order() {
        let objects = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n---\n\
            apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: w}\n---\n\
            apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n---\n\
            apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: z}\n---\n\
            apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a-b}\n---\n\
            apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n";
        let files = [
            file("r/root/kustomization.yaml", "resources:\n- o.yaml\n"),
            file("r/root/o.yaml", objects),
        ];
        let rendering = render_root(&files).expect("renders");
        let names: Vec<_> = rendering
            .objects
            .iter()
            .map(|o| {
                o.get_path(&["metadata", "name"])
                    .and_then(Node::as_str)
                    .unwrap_or("")
            })
            .collect();
        // Namespace first, Deployments (by namespace, `~X` for none, then name), then
        // kinds not ranked, webhooks last.
        assert_eq!(names, ["ns", "a", "a-b", "b", "x", "w"]);
        assert_eq!(
            rendering.inputs,
            [
                Path::new("r/root/kustomization.yaml"),
                Path::new("r/root/o.yaml")
            ]
        );
    }
}
