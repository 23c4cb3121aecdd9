#!/usr/bin/python3
"""Test support: reads every record of the given Kafka topics with Debian's confluent_kafka, an
independent client, and prints one JSON object per record: topic, partition, partitions (the
topic's count), offset, key and value (text, or null), headers (name -> text).

Usage: kafka_read.py BOOTSTRAP ISOLATION TOPIC...   (ISOLATION: read_committed|read_uncommitted)
Records come partition by partition in offset order. A topic that does not exist yields nothing.
"""
import json
import sys

from confluent_kafka import Consumer, TopicPartition


def text(data):
    return None if data is None else data.decode("utf-8")


def read_partition(consumer, topic, partition, partitions):
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    if high <= low:
        return
    consumer.assign([TopicPartition(topic, partition, low)])
    offset = low
    while offset < high:
        message = consumer.poll(10)
        if message is None:
            raise SystemExit(f"timed out reading {topic} [{partition}] at offset {offset}")
        if message.error():
            if message.error().code() == -191:  # _PARTITION_EOF: the rest are control records
                break
            raise SystemExit(f"{topic} [{partition}]: {message.error()}")
        offset = message.offset() + 1
        headers = {name: text(value) for name, value in (message.headers() or [])}
        print(json.dumps({"topic": topic, "partition": partition, "partitions": partitions,
                          "offset": message.offset(), "key": text(message.key()),
                          "value": text(message.value()), "headers": headers}))


def main():
    bootstrap, isolation, topics = sys.argv[1], sys.argv[2], sys.argv[3:]
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "sabot-test-reader",
                         "enable.auto.commit": False, "isolation.level": isolation,
                         "enable.partition.eof": True, "allow.auto.create.topics": False})
    for topic in topics:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            continue
        for partition in sorted(metadata.partitions):
            read_partition(consumer, topic, partition, len(metadata.partitions))
    consumer.close()


if __name__ == "__main__":
    main()
