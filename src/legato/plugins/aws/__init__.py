"""Kestra's AWS plugin (`io.kestra.plugin.aws.*`): S3 tasks and trigger, DynamoDB, Athena, the AWS CLI, and the
messaging services (SQS tasks and triggers, SNS, EventBridge, Kinesis, Lambda, ECR), through boto3 and awscli (the
`aws` extra: pip install 'legato[aws]'). Registered through the `legato.plugins` entry point `aws`."""
