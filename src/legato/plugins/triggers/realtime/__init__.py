"""Realtime trigger sources: one long-lived consumer per trigger, one execution per message (see
legato.plugins.triggers.base). Each module registers its types when imported; the client library of each
system is imported only when its consumer starts.

| type | system | delivery |
| --- | --- | --- |
| redis.list.RealtimeTrigger | Redis list (BLMOVE into a processing list, LREM on ack) | at least once |
| redis.pubsub.RealtimeTrigger | Redis pub/sub channels | at most once |
| redis.stream.RealtimeTrigger | Redis stream consumer group (XREADGROUP, XACK on ack) | once (entry id is the fire key) |
| amqp.RealtimeTrigger | RabbitMQ / AMQP 0-9-1 queue, manual ack | at least once |
| mqtt.RealtimeTrigger | MQTT topics, QoS 1 persistent session, PUBACK on ack | at least once |
| nats.RealtimeTrigger | NATS JetStream consumer, explicit ack | once (stream sequence is the fire key) |
| nats.SubjectRealtimeTrigger | core NATS subject | at most once |
| kafka.RealtimeTrigger | Kafka consumer group, offset committed on ack | once (topic/partition/offset is the fire key) |
| jdbc.postgresql.ListenTrigger | PostgreSQL LISTEN/NOTIFY | at most once |

`batch` holds Kestra's polling variants (redis.list.Trigger, amqp.Trigger, mqtt.Trigger, nats.Trigger,
kafka.Trigger): one execution per batch of messages (`maxRecords` / `maxDuration`) with the batch in a file.
"""
