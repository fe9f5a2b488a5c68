//! Cedar policies over (principal = actor, action, resource). The schema and policy set are
//! embedded in the binary and validated against each other (strict mode) when loaded, so a
//! typo in a policy is a start-up error, not a silent deny (or allow) at 3 a.m.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Context, Decision as CedarDecision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicyId, PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};

use crate::error::SetupError;
use crate::model::{Action, Actor, Resource, TaskRef};

/// The Cedar schema shipped with Paddock.
pub const EMBEDDED_SCHEMA: &str = include_str!("../policies/paddock.cedarschema");
/// The Cedar policy set shipped with Paddock.
pub const EMBEDDED_POLICIES: &str = include_str!("../policies/paddock.cedar");

/// A validated schema and policy set.
pub struct Policies {
    schema: Schema,
    policies: PolicySet,
    engine: cedar_policy::Authorizer,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies").finish_non_exhaustive()
    }
}

impl Policies {
    /// The embedded schema and policies.
    pub fn embedded() -> Result<Self, SetupError> {
        Self::from_text(EMBEDDED_SCHEMA, EMBEDDED_POLICIES)
    }

    /// Parses `schema` (Cedar schema syntax) and `policies`, and refuses them unless the
    /// policies validate against the schema in strict mode.
    pub fn from_text(schema: &str, policies: &str) -> Result<Self, SetupError> {
        let (schema, _warnings) = Schema::from_cedarschema_str(schema)
            .map_err(|e| SetupError::Policy(format!("schema: {e}")))?;
        let policies = named_by_annotation(
            PolicySet::from_str(policies)
                .map_err(|e| SetupError::Policy(format!("policy syntax: {e}")))?,
        )?;
        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !result.validation_passed() {
            let errors: Vec<String> = result
                .validation_errors()
                .map(|e| format!("{e} ({})", e.policy_id()))
                .collect();
            return Err(SetupError::Policy(errors.join("; ")));
        }
        Ok(Policies {
            schema,
            policies,
            engine: cedar_policy::Authorizer::new(),
        })
    }

    /// Asks Cedar. `Ok(())` is a permit; `Err(reason)` a deny, with the forbidding policies'
    /// ids or "no policy permits it". Anything Cedar cannot evaluate is a deny.
    pub(crate) fn evaluate(
        &self,
        actor: &Actor,
        token_id: uuid::Uuid,
        action: Action,
        resource: &Resource,
    ) -> Result<(), String> {
        let (request, entities) = self
            .request(actor, token_id, action, resource)
            .map_err(|e| format!("request does not fit the schema: {e}"))?;
        let response = self
            .engine
            .is_authorized(&request, &self.policies, &entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(ToString::to_string)
            .collect();
        if !errors.is_empty() {
            tracing::warn!(errors = %errors.join("; "), "cedar evaluation errors (treated as deny)");
        }
        match response.decision() {
            CedarDecision::Allow => Ok(()),
            CedarDecision::Deny => {
                let forbids: Vec<String> = response
                    .diagnostics()
                    .reason()
                    .map(ToString::to_string)
                    .collect();
                if forbids.is_empty() {
                    Err("no policy permits it".to_owned())
                } else {
                    Err(format!("forbidden by {}", forbids.join(", ")))
                }
            }
        }
    }

    fn request(
        &self,
        actor: &Actor,
        token_id: uuid::Uuid,
        action: Action,
        resource: &Resource,
    ) -> Result<(Request, Entities), String> {
        let mut entities = Vec::new();
        let principal = match actor {
            Actor::User { user } => {
                let uid = uid("User", user.as_str())?;
                entities.push(Entity::new_no_attrs(uid.clone(), HashSet::new()));
                uid
            }
            Actor::Agent { task } => {
                let uid = uid("Agent", task.as_str())?;
                entities.push(with_task(uid.clone(), task.as_str())?);
                uid
            }
            Actor::SubAgent { task, .. } => {
                let uid = uid("SubAgent", &token_id.to_string())?;
                entities.push(with_task(uid.clone(), task.as_str())?);
                uid
            }
            // The system actor is bypassed in `Authorizer::authorize_system`; it must never
            // reach Cedar, and would be denied (no entity type) if it did.
            Actor::System => return Err("the system actor is not a Cedar principal".to_owned()),
        };
        if let Some(task) = resource.task() {
            entities.extend(task_entities(task)?);
        }
        let resource_uid = match resource {
            Resource::Task { task } => uid("Task", task.id.as_str())?,
            Resource::Approval { task, approval } => {
                child(&mut entities, "Approval", approval.as_str(), task)?
            }
            Resource::TaskAudit { task } => {
                child(&mut entities, "TaskAudit", task.id.as_str(), task)?
            }
            Resource::Creds { task, lease } => child(&mut entities, "Creds", lease.as_str(), task)?,
            Resource::AuditTrail => {
                let u = uid("AuditTrail", "all")?;
                entities.push(Entity::new_no_attrs(u.clone(), HashSet::new()));
                u
            }
            Resource::TaskList => {
                let u = uid("TaskList", "all")?;
                entities.push(Entity::new_no_attrs(u.clone(), HashSet::new()));
                u
            }
        };
        let action_uid = uid("Action", action.as_str())?;
        let request = Request::new(
            principal,
            action_uid,
            resource_uid,
            Context::empty(),
            Some(&self.schema),
        )
        .map_err(|e| e.to_string())?;
        let entities =
            Entities::from_entities(entities, Some(&self.schema)).map_err(|e| e.to_string())?;
        Ok((request, entities))
    }
}

/// Renames every policy after its `@id("...")` annotation (required, unique), so denials and
/// logs name `agent-nothing-else` rather than `policy2`.
fn named_by_annotation(parsed: PolicySet) -> Result<PolicySet, SetupError> {
    let mut named = PolicySet::new();
    for policy in parsed.policies() {
        let id = policy.annotation("id").ok_or_else(|| {
            SetupError::Policy(format!(
                "policy {} has no @id(\"...\") annotation",
                policy.id()
            ))
        })?;
        named
            .add(policy.new_id(PolicyId::new(id)))
            .map_err(|e| SetupError::Policy(format!("policy @id({id:?}): {e}")))?;
    }
    if parsed.templates().next().is_some() {
        return Err(SetupError::Policy("templates are not supported".to_owned()));
    }
    Ok(named)
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, String> {
    let type_name =
        EntityTypeName::from_str(&format!("Paddock::{kind}")).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(
        type_name,
        EntityId::new(id),
    ))
}

fn with_task(uid: EntityUid, task: &str) -> Result<Entity, String> {
    let attrs = HashMap::from([(
        "task".to_owned(),
        RestrictedExpression::new_entity_uid(self::uid("Task", task)?),
    )]);
    Entity::new(uid, attrs, HashSet::new()).map_err(|e| e.to_string())
}

/// The task and its owner.
fn task_entities(task: &TaskRef) -> Result<[Entity; 2], String> {
    let owner = uid("User", task.owner.as_str())?;
    let attrs = HashMap::from([(
        "owner".to_owned(),
        RestrictedExpression::new_entity_uid(owner.clone()),
    )]);
    let task = Entity::new(uid("Task", task.id.as_str())?, attrs, HashSet::new())
        .map_err(|e| e.to_string())?;
    Ok([task, Entity::new_no_attrs(owner, HashSet::new())])
}

/// An entity that belongs to `task` (member of it, and pointing at it).
fn child(
    entities: &mut Vec<Entity>,
    kind: &str,
    id: &str,
    task: &TaskRef,
) -> Result<EntityUid, String> {
    let u = uid(kind, id)?;
    let task_uid = uid("Task", task.id.as_str())?;
    let attrs = HashMap::from([(
        "task".to_owned(),
        RestrictedExpression::new_entity_uid(task_uid.clone()),
    )]);
    entities
        .push(Entity::new(u.clone(), attrs, HashSet::from([task_uid])).map_err(|e| e.to_string())?);
    Ok(u)
}
