"""Kestra's Redis tasks (`io.kestra.plugin.redis.*`): string Set/Get/Delete/Increment/Ttl, list
ListPush/ListPop, pubsub Publish and RedisJSON json Set/Get/Delete/Increment, with their older names (`io.kestra.plugin.redis.Set`, ...). Registered through the
`legato.plugins` entry point `redis`; the Redis realtime triggers are in legato.plugins.triggers.realtime."""
