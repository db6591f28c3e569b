//! The loader on arbitrary bytes: `load::load` (encoding, size, JSON/YAML detection,
//! the YAML tree with its depth, alias and document limits) and the model read over
//! what it loaded. Nothing may panic, and the limits must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenguard::load::{Loaded, load};
use tokenguard::k8s::kinds::WorkloadKinds;
use tokenguard::model::FileModel;
use tokenguard::yaml::Limits;

fuzz_target!(|bytes: &[u8]| {
    // Small limits, so that the fuzzer reaches each of them with short inputs.
    let limits = Limits {
        max_file_bytes: 64 * 1024,
        max_depth: 24,
        max_alias_expansion: 2_000,
        max_alias_text_bytes: 8_000,
        max_documents: 50,
        follow_symlinks: false,
    };
    for limits in [&limits, &Limits::default()] {
        if let Loaded::Manifests {
            stream, objects, ..
        } = load(bytes, limits)
        {
            assert!(
                stream.alias_expansion
                    <= 2 * limits.max_alias_expansion + stream.tree.node_count() as u64 + 1
            );
            assert!(stream.documents.len() <= limits.max_documents);
            let kinds = WorkloadKinds::with_extra(Vec::new());
            let model = FileModel::read(&stream.tree, &objects, &kinds, "default");
            assert!(model.objects <= objects.len());
        }
    }
});
