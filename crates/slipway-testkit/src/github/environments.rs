//! Deployment environments: `GET /repos/{owner}/{repo}/environments/{environment_name}`, seeded
//! with [`FakeGitHub::add_environment`] and answered as GitHub's API description says (ids,
//! `node_id`s, URLs, times; each protection rule in its own shape; `deployment_branch_policy`
//! `null` when any ref may deploy). An environment that was not seeded is a 404. Environments
//! are not kept in snapshots.

use axum::response::Response;
use serde_json::{Value, json};

use super::FakeGitHub;
use super::ctx::{Ctx, json as reply, not_found};
use super::model::rfc3339;

/// A protection rule to seed an environment with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvironmentRule {
    /// Required reviewers: these users must approve a deployment.
    Reviewers(Vec<String>),
    /// A wait timer of this many minutes.
    WaitTimer(u64),
    /// Only protected branches (`true`) or selected branches and tags (`false`) may deploy.
    Branches {
        /// Protected branches rather than the environment's own patterns.
        protected: bool,
    },
}

impl FakeGitHub {
    /// Creates (or replaces) the environment `name` of repository `repo` (the default one when
    /// `None`) with `rules`; no rules is an environment anyone may deploy to at once.
    pub fn add_environment(&self, repo: Option<&str>, name: &str, rules: &[EnvironmentRule]) {
        let mut st = self.shared.lock();
        let repo = st.resolve_repo(repo);
        let id = st.next_id();
        let created = rfc3339(st.tick());
        let mut protection: Vec<Value> = Vec::new();
        let mut branch_policy = Value::Null;
        for rule in rules {
            let rule_id = st.next_id();
            let node_id = format!("GA_fake_{rule_id}");
            protection.push(match rule {
                EnvironmentRule::Reviewers(logins) => json!({
                    "id": rule_id,
                    "node_id": node_id,
                    "type": "required_reviewers",
                    "prevent_self_review": false,
                    "reviewers": logins.iter().enumerate().map(|(i, login)| json!({
                        "type": "User",
                        "reviewer": user(self, login, 1000 + i as u64),
                    })).collect::<Vec<_>>(),
                }),
                EnvironmentRule::WaitTimer(minutes) => json!({
                    "id": rule_id,
                    "node_id": node_id,
                    "type": "wait_timer",
                    "wait_timer": minutes,
                }),
                EnvironmentRule::Branches { protected } => {
                    branch_policy = json!({
                        "protected_branches": protected,
                        "custom_branch_policies": !protected,
                    });
                    json!({ "id": rule_id, "node_id": node_id, "type": "branch_policy" })
                }
            });
        }
        let api = self.shared.urls.api.clone();
        let body = json!({
            "id": id,
            "node_id": format!("EN_fake_{id}"),
            "name": name,
            "url": format!("{api}/repos/{repo}/environments/{name}"),
            "html_url": format!("{api}/{repo}/deployments/activity_log?environments_filter={name}"),
            "created_at": created,
            "updated_at": created,
            "protection_rules": protection,
            "deployment_branch_policy": branch_policy,
        });
        st.environments
            .insert((repo.to_ascii_lowercase(), name.to_string()), body);
    }
}

/// A `simple-user` named `login` (the bot's shape, as a person).
fn user(fake: &FakeGitHub, login: &str, id: u64) -> Value {
    let mut user = fake.shared.urls.bot_user();
    let url = format!("{}/users/{login}", fake.shared.urls.api);
    user["login"] = json!(login);
    user["id"] = json!(id);
    user["node_id"] = json!(format!("U_fake_{id}"));
    user["url"] = json!(url);
    user["html_url"] = json!(format!("{}/{login}", fake.shared.urls.api));
    user["type"] = json!("User");
    user
}

/// `GET /repos/{o}/{r}/environments/{name}`: the seeded environment, or 404.
pub(crate) fn get_environment(ctx: &Ctx) -> Response {
    let st = ctx.shared.lock();
    let key = (ctx.route.repo.to_ascii_lowercase(), ctx.route.text.clone());
    match st.environments.get(&key) {
        Some(body) => reply(200, body.clone()),
        None => not_found(),
    }
}
