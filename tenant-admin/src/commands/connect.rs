//! `connect map|unmap`: one Amazon Connect instance added to or removed from a tenant's
//! `connectInstances` (read, changed, written back whole: the API replaces the list).
//!
//! An instance is named by its ARN or its id; the two name the same instance, so `unmap` of an
//! id removes the ARN mapped and `map` of an ARN whose id is mapped changes nothing.

use serde_json::{json, Value};

use super::tenants::{find, no_tenant, put};
use super::Output;
use crate::client::Api;
use crate::error::Error;

/// The instance id of an ARN (`arn:aws:connect:…:instance/{id}`) or of an id.
fn instance_id(instance: &str) -> &str {
    instance
        .rsplit_once(":instance/")
        .map_or(instance, |(_, id)| id)
}

fn instances_of(tenant: &Value) -> Result<Vec<String>, Error> {
    match tenant.get("connectInstances") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| Error::Refused("the tenant's connectInstances are not strings".into())),
        Some(_) => Err(Error::Refused(
            "the tenant's connectInstances are not a list".into(),
        )),
    }
}

/// The list with `instance` added (`None`: it is there already).
pub fn with_instance(current: &[String], instance: &str) -> Option<Vec<String>> {
    let id = instance_id(instance);
    if current.iter().any(|i| instance_id(i) == id) {
        return None;
    }
    let mut list = current.to_vec();
    list.push(instance.to_owned());
    Some(list)
}

/// The list without `instance` (`None`: it was not there).
pub fn without_instance(current: &[String], instance: &str) -> Option<Vec<String>> {
    let id = instance_id(instance);
    let list: Vec<String> = current
        .iter()
        .filter(|i| instance_id(i) != id)
        .cloned()
        .collect();
    (list.len() != current.len()).then_some(list)
}

async fn change(
    api: &impl Api,
    org: &str,
    instance: &str,
    edit: fn(&[String], &str) -> Option<Vec<String>>,
    unchanged: &str,
) -> Result<Output, Error> {
    let tenant = find(api, org).await?.ok_or_else(|| no_tenant(org))?;
    match edit(&instances_of(&tenant)?, instance) {
        Some(list) => put(api, org, json!({ "connectInstances": list })).await,
        None => {
            Ok(Output::json(tenant).note(format!("{instance} {unchanged} {org}; nothing changed")))
        }
    }
}

pub async fn map(api: &impl Api, org: &str, instance: &str) -> Result<Output, Error> {
    change(api, org, instance, with_instance, "is mapped already to").await
}

pub async fn unmap(api: &impl Api, org: &str, instance: &str) -> Result<Output, Error> {
    change(api, org, instance, without_instance, "is not mapped to").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fake::FakeApi;

    const ORG: &str = "00D000000000001";
    const ARN: &str =
        "arn:aws:connect:eu-west-1:111122223333:instance/0a1b2c3d-aaaa-bbbb-cccc-000000000001";
    const ID: &str = "0a1b2c3d-aaaa-bbbb-cccc-000000000001";

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_arn_and_its_id_are_the_same_instance() {
        assert_eq!(instance_id(ARN), ID);
        assert_eq!(instance_id(ID), ID);
        assert_eq!(with_instance(&list(&[ARN]), ID), None);
        assert_eq!(
            with_instance(&list(&["other"]), ARN),
            Some(list(&["other", ARN]))
        );
        assert_eq!(
            without_instance(&list(&["other", ARN]), ID),
            Some(list(&["other"]))
        );
        assert_eq!(without_instance(&list(&["other"]), ARN), None);
    }

    #[tokio::test]
    async fn map_reads_the_tenant_and_writes_the_list_with_the_instance() {
        let api = FakeApi::answering([
            (200, json!({"orgId": ORG, "connectInstances": ["other"]})),
            (
                200,
                json!({"orgId": ORG, "connectInstances": ["other", ARN]}),
            ),
        ]);
        map(&api, ORG, ARN).await.unwrap();
        let calls = api.calls();
        assert_eq!(calls[0].describe(), format!("GET /admin/v1/tenants/{ORG}"));
        assert_eq!(calls[1].describe(), format!("PUT /admin/v1/tenants/{ORG}"));
        assert_eq!(
            calls[1].body,
            Some(json!({"connectInstances": ["other", ARN]}))
        );
    }

    #[tokio::test]
    async fn unmap_of_an_instance_not_mapped_writes_nothing() {
        let tenant = json!({"orgId": ORG});
        let api = FakeApi::answering([(200, tenant.clone())]);
        let out = unmap(&api, ORG, ARN).await.unwrap();
        assert_eq!(out.json, Some(tenant));
        assert!(out.note.is_some());
        assert_eq!(api.calls().len(), 1);
    }

    #[tokio::test]
    async fn unmap_writes_the_list_without_the_instance() {
        let api = FakeApi::answering([
            (200, json!({"orgId": ORG, "connectInstances": [ARN]})),
            (200, json!({"orgId": ORG, "connectInstances": []})),
        ]);
        unmap(&api, ORG, ID).await.unwrap();
        assert_eq!(api.calls()[1].body, Some(json!({"connectInstances": []})));
    }

    #[tokio::test]
    async fn an_unknown_tenant_is_refused_before_any_write() {
        let api = FakeApi::answering([(404, json!([{"errorCode": "NOT_FOUND"}]))]);
        assert!(matches!(map(&api, ORG, ID).await, Err(Error::Refused(_))));
        assert_eq!(api.calls().len(), 1);
    }
}
