#!/usr/bin/env python3
"""Records what promtool 2.42 makes of alert templates, for src/template/tests.rs.

Usage: python3 record.py templates.jsonl > promtool-2.42-<topic>.jsonl

Input: one JSON string (a template) per line; lines starting with # are skipped.
Output: one JSON object per template: {"t": template, "want": expansion} from `promtool test rules`
(rule `T`, series below, external labels {cluster="eu1"}, external URL
http://prom.example.com/prefix, evaluated at 0s), or {"t": template, "parse_err": message} when
`promtool check rules` rejects it (rule `P`).
"""
import json, subprocess, sys, os, re, tempfile

SERIES = [
    ('s{job="j",instance="host.example.com:9090"}', '1234567.5'),
    ('m{a="x",b="2"}', '3'),
    ('m{a="y",b="1"}', '1'),
    ('m{a="w",b="3"}', '2'),
]

def go_unquote_labelset(text):
    # text like {a0="...", a1="..."}
    out = {}
    i = 1
    n = len(text)
    while i < n and text[i] != '}':
        j = text.index('=', i)
        key = text[i:j]
        i = j + 1
        assert text[i] == '"'
        i += 1
        buf = bytearray()
        while text[i] != '"':
            c = text[i]
            if c == '\\':
                e = text[i+1]
                if e in 'nt"\\abfrv':
                    buf += {'n':b'\n','t':b'\t','"':b'"','\\':b'\\','a':b'\x07','b':b'\x08','f':b'\x0c','r':b'\r','v':b'\x0b'}[e]
                    i += 2
                elif e == 'x':
                    buf.append(int(text[i+2:i+4], 16)); i += 4
                elif e == 'u':
                    buf += chr(int(text[i+2:i+6], 16)).encode(); i += 6
                elif e == 'U':
                    buf += chr(int(text[i+2:i+10], 16)).encode(); i += 10
                else:
                    raise Exception('escape ' + e)
            else:
                buf += c.encode()
                i += 1
        i += 1
        out[key] = buf.decode('utf-8', 'replace')
        if text[i:i+2] == ', ':
            i += 2
    return out

def run_exec(templates):
    d = tempfile.mkdtemp()
    rules = ['groups:', '- name: g', '  rules:', '  - alert: T', '    expr: s', '    annotations:']
    for k, t in enumerate(templates):
        rules.append('      a%d: %s' % (k, json.dumps(t)))
    open(os.path.join(d, 'r.yml'), 'w').write('\n'.join(rules) + '\n')
    test = ['rule_files: [r.yml]', 'evaluation_interval: 1m', 'tests:', '- interval: 1m', '  input_series:']
    for s, v in SERIES:
        test.append("  - series: '%s'" % s)
        test.append("    values: '%s'" % v)
    test += ['  external_labels: {cluster: eu1}', '  external_url: http://prom.example.com/prefix',
             '  alert_rule_test:', '  - eval_time: 0', '    alertname: T', '    exp_alerts:', '    - exp_labels: {}']
    open(os.path.join(d, 't.yml'), 'w').write('\n'.join(test) + '\n')
    p = subprocess.run(['promtool', 'test', 'rules', 't.yml'], cwd=d, capture_output=True, text=True)
    m = re.search(r'got:\[\n\s+0:\n\s+Labels:.*\n\s+Annotations:(\{.*\})\n', p.stdout + p.stderr)
    if not m:
        raise Exception(p.stdout + p.stderr)
    ann = go_unquote_labelset(m.group(1))
    return [ann.get('a%d' % k, '') for k in range(len(templates))]

def run_parse(template):
    d = tempfile.mkdtemp()
    rules = ['groups:', '- name: g', '  rules:', '  - alert: P', '    expr: s', '    annotations:',
             '      a: %s' % json.dumps(template)]
    open(os.path.join(d, 'r.yml'), 'w').write('\n'.join(rules) + '\n')
    p = subprocess.run(['promtool', 'check', 'rules', 'r.yml'], cwd=d, capture_output=True, text=True)
    out = p.stdout + p.stderr
    m = re.search(r'annotation "a": (.*)', out)
    return m.group(1) if m else None

if __name__ == '__main__':
    cases = [json.loads(l) for l in open(sys.argv[1]) if l.strip() and not l.startswith('#')]
    parse_results = {}
    ok = []
    for c in cases:
        err = run_parse(c)
        if err is not None:
            print(json.dumps({'t': c, 'parse_err': err}, ensure_ascii=False))
        else:
            ok.append(c)
    if ok:
        for c, got in zip(ok, run_exec(ok)):
            print(json.dumps({'t': c, 'want': got}, ensure_ascii=False))
