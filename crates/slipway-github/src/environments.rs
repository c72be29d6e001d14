//! Deployment environments: what protects one (`GET /repos/{owner}/{repo}/environments/{name}`),
//! for the gate check of a publishing job. Required reviewers and wait timers (and custom
//! deployment protection rules, which GitHub lists with them) gate a deployment on a person or
//! on time; a branch policy only limits which refs may deploy. On private repositories without
//! GitHub Enterprise, reviewers and wait timers are not available, so an environment there
//! lists none: that is what the check looks for.

use serde::Deserialize;

use crate::client::GitHub;
use crate::error::GitHubError;
use crate::urls::encode_component;

/// One protection rule of an environment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProtectionRule {
    /// `required_reviewers`, `wait_timer`, `branch_policy`, or a custom rule's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Minutes to wait, for `wait_timer`.
    #[serde(default)]
    pub wait_timer: Option<u64>,
    /// The reviewers, for `required_reviewers` (users or teams; only counted here).
    #[serde(default)]
    pub reviewers: Vec<serde_json::Value>,
}

/// Which refs may deploy to an environment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BranchPolicy {
    /// Only protected branches.
    #[serde(default)]
    pub protected_branches: bool,
    /// Only branches and tags matching the environment's own patterns.
    #[serde(default)]
    pub custom_branch_policies: bool,
}

/// A deployment environment as the API describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// Its protection rules (none on a free private repository).
    #[serde(default)]
    pub protection_rules: Vec<ProtectionRule>,
    /// Which refs may deploy (`None`: any).
    #[serde(default)]
    pub deployment_branch_policy: Option<BranchPolicy>,
}

impl Environment {
    /// The rules that hold a deployment for a person or for time, in words: `2 required
    /// reviewer(s)`, `a 30-minute wait timer`, a custom rule by its type. Empty when nothing
    /// does (a branch policy alone is not a gate: anyone who can push a matching ref deploys).
    pub fn gates(&self) -> Vec<String> {
        self.protection_rules
            .iter()
            .filter_map(|rule| match rule.kind.as_str() {
                "required_reviewers" if !rule.reviewers.is_empty() => {
                    Some(format!("{} required reviewer(s)", rule.reviewers.len()))
                }
                "wait_timer" => rule
                    .wait_timer
                    .filter(|m| *m > 0)
                    .map(|m| format!("a {m}-minute wait timer")),
                "required_reviewers" | "branch_policy" => None,
                other => Some(format!("the custom rule `{other}`")),
            })
            .collect()
    }

    /// The branch policy in words, when there is one.
    pub fn branch_policy(&self) -> Option<&'static str> {
        let policy = self.deployment_branch_policy.as_ref()?;
        if policy.protected_branches {
            Some("protected branches only")
        } else if policy.custom_branch_policies {
            Some("selected branches and tags only")
        } else {
            None
        }
    }
}

impl GitHub {
    /// The environment `name` of the client's repository, `None` when it does not exist (404).
    /// Reading it needs `actions: read` on a private repository.
    pub async fn environment(&self, name: &str) -> Result<Option<Environment>, GitHubError> {
        let url = self.repo_url(&format!("/environments/{}", encode_component(name)))?;
        self.get_json_opt(&url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(json: serde_json::Value) -> Environment {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn reviewers_wait_timers_and_custom_rules_gate_branch_policies_do_not() {
        let gated = env(serde_json::json!({
            "name": "pypi",
            "protection_rules": [
                {"id": 1, "node_id": "x", "type": "required_reviewers", "prevent_self_review": false,
                 "reviewers": [{"type": "User", "reviewer": {"login": "octo"}}]},
                {"id": 2, "node_id": "y", "type": "wait_timer", "wait_timer": 30},
                {"id": 3, "node_id": "z", "type": "branch_policy"},
                {"id": 4, "node_id": "w", "type": "deployment_gate_app"}
            ],
            "deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}
        }));
        assert_eq!(
            gated.gates(),
            [
                "1 required reviewer(s)",
                "a 30-minute wait timer",
                "the custom rule `deployment_gate_app`"
            ]
        );
        assert_eq!(
            gated.branch_policy(),
            Some("selected branches and tags only")
        );
        let open = env(serde_json::json!({
            "name": "pypi",
            "protection_rules": [
                {"type": "branch_policy"},
                {"type": "wait_timer", "wait_timer": 0},
                {"type": "required_reviewers", "reviewers": []}
            ],
            "deployment_branch_policy": null
        }));
        assert!(open.gates().is_empty());
        assert_eq!(open.branch_policy(), None);
    }
}
