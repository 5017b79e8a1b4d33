//! The vendor's answers, typed leniently (`vendor-api.md` §2): ids are strings even when a number
//! arrives, property values are strings whatever JSON type they come as, unknown fields are ignored,
//! absent lists are empty, and every optional field may be missing.

use serde::{Deserialize, Deserializer};
use std::collections::HashMap;

/// An id as the vendor's string: `"512"` and `512` both read as `"512"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Id(pub String);

impl Id {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct StringOrNumber;

impl serde::de::Visitor<'_> for StringOrNumber {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_string())
    }
    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<String, E> {
        Ok(value)
    }
    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<String, E> {
        Ok(value.to_string())
    }
    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<String, E> {
        Ok(value.to_string())
    }
    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<String, E> {
        if value.fract() == 0.0 && value.abs() < 9.0e15 {
            Ok(format!("{value:.0}"))
        } else {
            Ok(value.to_string())
        }
    }
    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<String, E> {
        Ok(value.to_string())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        deserializer.deserialize_any(StringOrNumber).map(Id)
    }
}

/// A string field that may arrive as a number or boolean, or be null or absent.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Lenient(#[serde(deserialize_with = "required_lenient")] String);
    Ok(Option::<Lenient>::deserialize(deserializer)?.map(|value| value.0))
}

fn required_lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(StringOrNumber)
}

/// A property map: every value as a string (or None for null).
fn property_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<HashMap<String, Option<String>>, D::Error> {
    #[derive(Deserialize)]
    struct Value(#[serde(deserialize_with = "lenient_string")] Option<String>);
    let map = Option::<HashMap<String, Value>>::deserialize(deserializer)?.unwrap_or_default();
    Ok(map.into_iter().map(|(key, value)| (key, value.0)).collect())
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `paging.next.after`: absent on the last page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub next: Option<NextPage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NextPage {
    #[serde(deserialize_with = "required_lenient")]
    pub after: String,
}

/// One page of a cursor-paged collection.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
pub struct Page<T> {
    #[serde(default, deserialize_with = "null_as_default")]
    pub results: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

impl<T> Page<T> {
    /// The cursor of the next page, if there is one.
    pub fn next_after(&self) -> Option<String> {
        self.paging
            .as_ref()
            .and_then(|paging| paging.next.as_ref())
            .map(|next| next.after.clone())
            .filter(|after| !after.is_empty())
    }
}

/// A CRM record (contact, company, ticket).
#[derive(Debug, Clone, Deserialize)]
pub struct CrmObject {
    pub id: Id,
    #[serde(default, deserialize_with = "property_map")]
    pub properties: HashMap<String, Option<String>>,
    #[serde(default)]
    pub archived: bool,
}

impl CrmObject {
    /// A property's value, None when absent, null or empty.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .get(name)
            .and_then(|value| value.as_deref())
            .filter(|value| !value.is_empty())
    }
}

/// A property definition (`GET /crm/v3/properties/{type}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDefinition {
    pub name: String,
    #[serde(default)]
    pub hubspot_defined: Option<bool>,
}

impl PropertyDefinition {
    /// Custom: not defined by the vendor (`vendor-import.md`: "not vendor-defined").
    pub fn is_custom(&self) -> bool {
        self.hubspot_defined != Some(true)
    }
}

/// The envelope of a batch read: `results`, and with a 207 the `errors` of inputs that failed.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
pub struct BatchAnswer<T> {
    #[serde(default, deserialize_with = "null_as_default")]
    pub results: Vec<T>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<serde_json::Value>,
}

/// One record's associations in a v4 batch read.
#[derive(Debug, Clone, Deserialize)]
pub struct AssociationResult {
    pub from: AssociationFrom,
    #[serde(default, deserialize_with = "null_as_default")]
    pub to: Vec<AssociationTo>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssociationFrom {
    pub id: Id,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationTo {
    /// A number in practice (beyond i32), a string in the spec: read as a string either way.
    pub to_object_id: Id,
    #[serde(default, deserialize_with = "null_as_default")]
    pub association_types: Vec<AssociationType>,
}

impl AssociationTo {
    pub fn has_type(&self, type_id: i64) -> bool {
        self.association_types
            .iter()
            .any(|kind| kind.type_id == type_id)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationType {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(deserialize_with = "type_id")]
    pub type_id: i64,
}

fn type_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = required_lenient(deserializer)?;
    text.parse()
        .map_err(|_| serde::de::Error::custom(format!("\"{text}\" is not a type id")))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    pub id: Id,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub display_order: i64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub stages: Vec<PipelineStage>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStage {
    pub id: Id,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub display_order: i64,
    #[serde(default, deserialize_with = "property_map")]
    pub metadata: HashMap<String, Option<String>>,
}

/// A page of `POST /crm/v3/lists/search` (offset paging).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSearchPage {
    #[serde(default, deserialize_with = "null_as_default")]
    pub lists: Vec<ContactList>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactList {
    pub list_id: Id,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub object_type_id: Option<String>,
}

/// A list member: an object with `recordId`, or (older answers) the bare id.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Membership {
    Record {
        #[serde(rename = "recordId")]
        record_id: Id,
    },
    Bare(Id),
}

impl Membership {
    pub fn record_id(&self) -> &str {
        match self {
            Membership::Record { record_id } => record_id.as_str(),
            Membership::Bare(id) => id.as_str(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Inbox {
    pub id: Id,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default, deserialize_with = "lenient_string")]
    pub kind: Option<String>,
}

/// A channel kind of the account (`/channels`): only an id and a name.
#[derive(Debug, Clone, Deserialize)]
pub struct ChannelKind {
    pub id: Id,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelAccount {
    pub id: Id,
    #[serde(default)]
    pub channel_id: Option<Id>,
    #[serde(default)]
    pub inbox_id: Option<Id>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub delivery_identifier: Option<DeliveryIdentifier>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeliveryIdentifier {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub id: Id,
    #[serde(default)]
    pub original_channel_id: Option<Id>,
    #[serde(default)]
    pub original_channel_account_id: Option<Id>,
    pub created_at: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub thread_associations: Option<ThreadAssociations>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadAssociations {
    #[serde(default)]
    pub associated_ticket_id: Option<Id>,
}

/// One entry of a thread: a message, a comment, or an event (welcome message, status or inbox change,
/// assignment) that is not a message.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadEntry {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub id: Id,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub text: Option<String>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub senders: Vec<Sender>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub truncation_status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    #[serde(default)]
    pub actor_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub delivery_identifier: Option<DeliveryIdentifier>,
}

/// An attachment: only its kind and name are read (files are not downloaded).
#[derive(Debug, Clone, Deserialize)]
pub struct Attachment {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
}

/// `GET …/messages/{id}/original-content`: the whole text of a truncated email.
#[derive(Debug, Clone, Deserialize)]
pub struct OriginalContent {
    #[serde(default, deserialize_with = "lenient_string")]
    pub text: Option<String>,
}

/// An error answer (`vendor-api.md` §8.1, §8.4): every field optional, 429 and CRM shapes alike.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub error_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub policy_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub correlation_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<ErrorDetail>,
    #[serde(default)]
    pub context: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorDetail {
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
    #[serde(default)]
    pub context: Option<serde_json::Value>,
}

impl ErrorBody {
    /// The scopes a 403 names: `requiredGranularScopes`, `requiredScopes` or `missingScopes`, in the
    /// errors' contexts or the top-level one.
    pub fn missing_scopes(&self) -> Vec<String> {
        let mut scopes = Vec::new();
        let contexts = self
            .errors
            .iter()
            .filter_map(|error| error.context.as_ref())
            .chain(self.context.as_ref());
        for context in contexts {
            for key in ["requiredGranularScopes", "requiredScopes", "missingScopes"] {
                if let Some(values) = context.get(key).and_then(|value| value.as_array()) {
                    for value in values.iter().filter_map(|value| value.as_str()) {
                        if !scopes.iter().any(|known| known == value) {
                            scopes.push(value.to_string());
                        }
                    }
                }
            }
        }
        scopes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_in_association_answers_read_as_strings() {
        let answer: BatchAnswer<AssociationResult> = serde_json::from_str(
            r#"{"status":"COMPLETE","results":[{"from":{"id":"9100231"},"to":[
                {"toObjectId":12345678901,"associationTypes":[
                    {"category":"HUBSPOT_DEFINED","typeId":26,"label":"Primary"},
                    {"category":"HUBSPOT_DEFINED","typeId":339,"label":null}]}]}],
                "startedAt":"x","somethingNew":true}"#,
        )
        .unwrap();
        let to = &answer.results[0].to[0];
        assert_eq!(to.to_object_id.as_str(), "12345678901");
        assert!(to.has_type(26) && to.has_type(339));
    }

    #[test]
    fn property_values_of_any_json_type_read_as_strings() {
        let record: CrmObject = serde_json::from_str(
            r#"{"id":5,"properties":{"a":"x","b":3,"c":true,"d":null},"url":"ignored"}"#,
        )
        .unwrap();
        assert_eq!(record.id.as_str(), "5");
        assert_eq!(record.property("b"), Some("3"));
        assert_eq!(record.property("c"), Some("true"));
        assert_eq!(record.property("d"), None);
    }

    #[test]
    fn a_forbidden_answer_names_its_missing_scopes() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"status":"error","category":"MISSING_SCOPES","errors":[{"message":"m",
                "context":{"requiredGranularScopes":["tickets","crm.objects.contacts.read"]}}]}"#,
        )
        .unwrap();
        assert_eq!(
            body.missing_scopes(),
            vec!["tickets".to_string(), "crm.objects.contacts.read".into()]
        );
    }

    #[test]
    fn list_members_may_be_objects_or_bare_ids() {
        let page: Page<Membership> =
            serde_json::from_str(r#"{"results":[{"recordId":"301"},302]}"#).unwrap();
        let ids: Vec<&str> = page.results.iter().map(Membership::record_id).collect();
        assert_eq!(ids, ["301", "302"]);
        assert_eq!(page.next_after(), None);
    }
}
