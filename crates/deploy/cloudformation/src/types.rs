//! Typed inputs of the implemented operations (canonical JSON, member names as in the
//! model; a test checks every member against the model). Outputs are built in `ops/`.

use crate::store::Tag;
use crate::template::params::Given;
use serde::Deserialize;

/// The members CreateStack, UpdateStack and CreateChangeSet share.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackInput {
    pub stack_name: String,
    pub template_body: Option<String>,
    #[serde(rename = "TemplateURL")]
    pub template_url: Option<String>,
    pub use_previous_template: Option<bool>,
    #[serde(default)]
    pub parameters: Vec<Given>,
    #[serde(default)]
    pub capabilities: Vec<String>,
    pub tags: Option<Vec<Tag>>,
    #[serde(rename = "NotificationARNs")]
    pub notification_arns: Option<Vec<String>>,
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
    pub disable_rollback: Option<bool>,
    pub on_failure: Option<String>,
    pub enable_termination_protection: Option<bool>,
    // CreateChangeSet
    pub change_set_name: Option<String>,
    pub change_set_type: Option<String>,
    pub description: Option<String>,
    pub stack_policy_body: Option<String>,
    #[serde(rename = "StackPolicyURL")]
    pub stack_policy_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackRef {
    pub stack_name: Option<String>,
    pub logical_resource_id: Option<String>,
    pub physical_resource_id: Option<String>,
    #[serde(default)]
    pub stack_status_filter: Vec<String>,
    #[serde(default)]
    pub retain_resources: Vec<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeSetRef {
    pub change_set_name: Option<String>,
    pub stack_name: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateRef {
    pub stack_name: Option<String>,
    pub change_set_name: Option<String>,
    pub template_stage: Option<String>,
    pub template_body: Option<String>,
    #[serde(rename = "TemplateURL")]
    pub template_url: Option<String>,
}

#[cfg(test)]
mod tests {
    /// Every member name the inputs read exists in some input shape of the model.
    #[test]
    fn members_exist_in_the_model() {
        let model = lamina_model::get("cloudformation").expect("model");
        let ops = [
            "CreateStack",
            "UpdateStack",
            "CreateChangeSet",
            "DescribeStacks",
            "DescribeStackResources",
            "ListStacks",
            "DeleteStack",
            "DescribeChangeSet",
            "GetTemplate",
            "GetTemplateSummary",
        ];
        let members = [
            "StackName",
            "TemplateBody",
            "TemplateURL",
            "UsePreviousTemplate",
            "Parameters",
            "Capabilities",
            "Tags",
            "NotificationARNs",
            "RoleARN",
            "DisableRollback",
            "OnFailure",
            "EnableTerminationProtection",
            "ClientRequestToken",
            "TimeoutInMinutes",
            "ChangeSetName",
            "ChangeSetType",
            "Description",
            "NextToken",
            "LogicalResourceId",
            "PhysicalResourceId",
            "StackStatusFilter",
            "TemplateStage",
            "StackPolicyBody",
            "StackPolicyURL",
            "ResourcesToSkip",
            "EnableTerminationProtection",
        ];
        let text = format!("{model:?}");
        for m in members {
            assert!(text.contains(m), "{m}");
        }
        for op in ops {
            assert!(model.operation(op).is_some(), "{op}");
        }
    }
}
