#!/usr/bin/env bash
# Regenerates the hotline's Mandarin prompts with espeak-ng (voice "cmn") and sox.
# Output: 8 kHz, mono, 16-bit PCM WAV — what the media engine plays without resampling.
# Usage: prompts/generate.sh [output-dir]   (default: the directory of this script)
# See README.md in this directory for replacing them with recorded human voices.
set -euo pipefail
out="${1:-$(cd "$(dirname "$0")" && pwd)}"
command -v espeak-ng >/dev/null || { echo "espeak-ng is not installed (apt-get install espeak-ng)" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox is not installed (apt-get install sox)" >&2; exit 1; }
# This espeak-ng's plain "cmn" voice reads the dictionary's pinyin (with tone digits) as
# English ("gan three"); "cmn-latn-pinyin" is the same Mandarin voice reading it as pinyin.
voice=cmn
if espeak-ng --voices=cmn | grep -q cmn-latn-pinyin; then voice=cmn-latn-pinyin; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# speak NAME TEXT: synthesize TEXT into $out/NAME.wav (8 kHz mono 16-bit, 0.2 s lead-in trimmed).
speak() {
  local name=$1 text=$2
  espeak-ng -v "$voice" -s 160 -w "$tmp/$name.raw.wav" "$text"
  sox "$tmp/$name.raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$out/$name.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0.1 0.2 norm -3
}

speak greeting      "欢迎致电内务社区连心热线。我们竭诚为您服务。"
speak menu          "人工服务请按1，留言请按2，收听本周通知请按3。"
speak please_hold   "请稍候，正在为您转接值班员。"
speak all_busy      "值班员正忙，请您耐心等待，或按2留言。"
speak leave_message "请在提示音后留言，留言完毕请挂机。"
speak after_hours   "现在是非工作时间。热线工作时间为每天早上八点至晚上八点。请在提示音后留言，我们会尽快回复您。"
speak goodbye       "感谢您的来电，再见。"
speak queue_ahead_many "您前面还有多位来电者，请耐心等待。"
for n in 1 2 3 4 5; do
  speak "queue_ahead_$n" "您前面还有${n}位。"
done
speak notice_security "居民同志您好。您现在收听的是内务社区服务热线。下面播出治安提示。夏夜请关好门窗。社区民警在夜查中发现，由于天气炎热，许多平房住户为了通风，夜晚常常不关门窗，这给不法分子入室盗窃带来可乘之机。请您在夜晚入睡前锁好房门，关好窗户。谢谢您的配合。"
speak notice_heating "居民同志您好。您现在收听的是内务社区服务热线。下面播出供暖通知。今年供暖将于十一月十五日开始。请您在供暖前检查家中的暖气片和阀门，发现漏水请及时报修。家中长期无人的，请关好阀门，并留下联系电话。谢谢您的配合。"
speak confirm_heard "如果您已收听本通知，请按1确认。"
speak notice_fraud "居民同志您好。您现在收听的是内务社区服务热线。下面播出防范电信诈骗提示。凡是自称公检法要求您转账的，都是诈骗。凡是要您提供银行卡密码和验证码的，都是诈骗。接到可疑电话请立即挂断，并拨打一一零咨询。谢谢您的配合。"
speak return_visit  "您好，这里是社区服务热线。您反映的问题已经办结。满意请按1，不满意请按2。"

# The tone before a voice message: 0.4 s of 1 kHz at -6 dBFS.
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$out/tone.wav" synth 0.4 sine 1000 vol 0.5

ls -l "$out"/*.wav
