#!/bin/sh
# Regenerates the seed corpus of mqtt_codec_fuzz from hand-written hex (the same vectors as
# codec_test.cc). First byte of each file = fuzzer configuration (see codec_fuzz.cc):
#   00 = 3.1.1 client side, 02 = 3.1.1 server side, 01 = 5 client side, 03 = 5 server side,
#   +04 and a size in the upper five bits = small max_packet_size.
# Minimized crashers found by libFuzzer are added to codec_corpus/ by hand (crash_*.bin); this
# script does not delete them.
set -eu
out="$(dirname "$0")/codec_corpus"
mkdir -p "$out"
w() { printf '%s' "$2" | tr -d ' ' | xxd -r -p > "$out/$1.bin"; }

# MQTT 3.1.1
w connect_311              "02 10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31"
w connect_311_will_user_pw "02 10 1f 00 04 4d 51 54 54 04 ee 00 0a 00 02 63 31 00 03 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77"
w connect_mqisdp_level3    "02 10 0e 00 06 4d 51 49 73 64 70 03 02 00 3c 00 00"
w connect_level6           "03 10 0c 00 04 4d 51 54 54 06 02 00 3c 00 00"
w connack_311              "00 20 02 01 00"
w connack_311_refused      "00 20 02 00 05"
w publish_311_qos0         "02 30 07 00 03 61 2f 62 68 69"
w publish_311_qos1_dup_retain "00 3b 09 00 03 61 2f 62 00 0a 68 69"
w publish_311_qos2_empty   "02 34 07 00 03 61 2f 62 12 34"
w publish_311_utf8         "02 30 0e 00 0c 61 2f c3 a9 2f e2 82 ac f0 9d 84 9e"
w puback_311               "02 40 02 00 0a"
w pubrec_311               "00 50 02 00 0a"
w pubrel_311               "02 62 02 00 0a"
w pubcomp_311              "00 70 02 00 0a"
w subscribe_311            "02 82 0e 00 07 00 03 61 2f 62 01 00 03 63 2f 23 02"
w suback_311               "00 90 04 00 07 01 80"
w unsubscribe_311          "02 a2 07 00 07 00 03 61 2f 62"
w unsuback_311             "00 b0 02 00 07"
w pingreq                  "02 c0 00"
w pingresp                 "00 d0 00"
w disconnect_311           "02 e0 00"

# MQTT 5
w connect_v5               "03 10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 02 63 31"
w connect_v5_will          "03 10 43 00 04 4d 51 54 54 05 ce 00 1e 14 11 00 00 00 78 21 00 14 27 00 00 10 00 26 00 01 6b 00 01 76 00 02 63 31 0e 18 00 00 00 05 01 01 03 00 04 74 65 78 74 00 03 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77"
w connect_v5_password_only "03 10 13 00 04 4d 51 54 54 05 42 00 3c 00 00 02 63 31 00 02 70 77"
w connack_v5               "01 20 0d 00 00 0a 22 00 0a 12 00 02 69 64 24 01"
w connack_v5_minimal       "01 20 03 00 00 00"
w connack_v5_from_311_server "01 20 02 00 01"
w publish_v5_props         "03 32 27 00 03 61 2f 62 00 01 1a 02 00 00 00 3c 23 00 05 09 00 02 ab cd 26 00 01 6b 00 01 76 08 00 03 72 2f 74 68 65 6c 6c 6f"
w publish_v5_alias_only    "03 30 07 00 00 03 23 00 05 78"
w publish_v5_no_props      "03 30 08 00 03 61 2f 62 00 68 69"
w publish_v5_two_sub_ids   "01 30 0b 00 03 61 2f 62 04 0b 01 0b 02 78"
w puback_v5_short          "03 40 02 00 0a"
w puback_v5_reason_only    "01 40 03 00 0a 10"
w puback_v5_props          "03 40 09 00 0a 87 05 1f 00 02 6e 6f"
w pubrel_v5_reason         "01 62 03 00 0b 92"
w pubcomp_v5_user_prop     "03 70 0b 00 0b 00 07 26 00 01 6b 00 01 76"
w subscribe_v5_options     "03 82 1f 00 07 09 0b 05 26 00 01 6b 00 01 76 00 03 61 2f 62 2d 00 0a 24 73 68 61 72 65 2f 67 2f 63 02"
w suback_v5                "01 90 0c 00 07 05 1f 00 02 6f 6b 01 02 87 a2"
w unsubscribe_v5           "03 a2 0b 00 08 00 00 03 61 2f 62 00 01 63"
w unsuback_v5              "01 b0 05 00 08 00 00 11"
w disconnect_v5_will       "03 e0 01 04"
w disconnect_v5_props      "03 e0 0b 80 09 11 00 00 00 00 1f 00 01 78"
w auth_v5_short            "03 f0 00"
w auth_v5_scram            "01 f0 0f 18 0d 15 00 05 53 43 52 41 4d 16 00 02 01 02"

# Streams: a server learns the version from CONNECT, then decodes the rest with it.
w stream_v5_session        "02 10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 02 63 31 82 09 00 07 00 00 03 61 2f 62 01 32 08 00 03 61 2f 62 00 01 00 c0 00 e0 00"
w stream_311_session       "02 10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31 30 07 00 03 61 2f 62 68 69 40 02 00 0a c0 00 e0 00"
w stream_client_acks       "01 20 03 00 00 00 90 04 00 07 00 01 d0 00 30 08 00 03 61 2f 62 00 68 69"
w multibyte_length_publish "02 30 cd 01 00 03 61 2f 62 $(printf '78 %.0s' $(seq 200))"

# Rejected inputs, to seed the error paths.
w small_max_size_publish   "27 30 ff 01"
w bad_flags_subscribe      "02 80 09 00 07 00 00 03 61 2f 62 01"
w varint_five_bytes        "02 30 ff ff ff ff 01"
w varint_non_minimal       "02 c0 80 00"
w utf8_surrogate_topic     "02 30 05 00 03 ed a0 80"
w utf8_overlong_topic      "02 30 06 00 02 c0 af 68 69"
w property_not_allowed     "03 30 0b 00 03 61 2f 62 05 11 00 00 00 01"
w property_duplicate       "03 30 10 00 03 61 2f 62 0a 02 00 00 00 01 02 00 00 00 02"
w publish_qos3             "02 36 09 00 03 61 2f 62 00 01 68 69"
w publish_packet_id_zero   "02 32 07 00 03 61 2f 62 00 00"
w role_connack_to_server   "02 20 02 00 00"
