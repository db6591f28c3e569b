//! Facts of service account tokens: where the automounted one is mounted, how long a
//! projected one lives, and the Secret that holds a legacy one (SPEC 4.4, 4.5).

/// Where Kubernetes mounts the service account token; a volume mounted here by every
/// container stops the admission plugin from adding the token.
pub const TOKEN_MOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Whether a `volumeMounts[].mountPath` covers the token's directory.
pub fn is_token_mount_path(path: &str) -> bool {
    path.trim_end_matches('/') == TOKEN_MOUNT_DIR
}

/// A projected `serviceAccountToken`'s lifetime when `expirationSeconds` is not set.
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;

/// The Secret type Kubernetes fills with a long-lived, never-expiring token.
pub const SERVICE_ACCOUNT_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// The annotation that names a token Secret's service account.
pub const SERVICE_ACCOUNT_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_directory_with_or_without_a_trailing_slash() {
        assert!(is_token_mount_path(TOKEN_MOUNT_DIR));
        assert!(is_token_mount_path(
            "/var/run/secrets/kubernetes.io/serviceaccount/"
        ));
        assert!(!is_token_mount_path("/var/run/secrets/kubernetes.io"));
        assert!(!is_token_mount_path(
            "/var/run/secrets/kubernetes.io/serviceaccount/token"
        ));
    }
}
