// The labeled cases the detectors are scored on: every scanner, brute force, DDoS victim,
// beacon pair, Log4j exploitation and C2 contact that ../shared/data/SOURCES.md names, with the
// files that hold it. Each dataset is imported into a store of its own.

/** An entity a detector must name: the finding matches when every given field is equal. */
export interface ExpectedFinding {
  /** Detector kinds any of which may find it (a C2 not in any feed can only be found by its beaconing). */
  readonly kinds: readonly string[];
  readonly src?: string;
  readonly dst?: string;
  readonly dport?: number;
  /** What SOURCES.md says, for the report. */
  readonly what: string;
}

/** One dataset: files, how to read them, the intelligence loaded first, and the named cases. */
export interface EvalDataset {
  readonly name: string;
  /**
   * Paths under ../shared/data, with the import format (`pcap` for packet captures) and, for a
   * flow log sampled 1 in N, the declared rate (`vantage import --sampling N`).
   */
  readonly files: readonly { readonly path: string; readonly format: string; readonly sampling?: number }[];
  readonly intel?: readonly string[];
  readonly expect: readonly ExpectedFinding[];
  /**
   * Zeek logs with Stratosphere's `label` column: findings whose src (or src→dst pair) has flows
   * labeled Malicious count as true positives, the others as false positives.
   */
  readonly zeekLabels?: boolean;
  /** CICFlowMeter CSV: the `Label` column; BENIGN is benign. */
  readonly cicLabels?: boolean;
}

const FOX_IT = ['basic-auth', 'http-method', 'uri-params', 'user-agent'].flatMap((vector) => [0, 1, 2, 3, 4].map((ev) => ({ proto: 'ldap', vector, ev })));
const FOX_IT_RMI = ['basic-auth', 'uri-params', 'user-agent', 'x-api-version'].flatMap((vector) => [0, 1, 2, 3, 4].map((ev) => ({ proto: 'rmi', vector, ev })));

const MALTRAIL = ['threat-intel/maltrail/emotet.txt', 'threat-intel/maltrail/trickbot.txt', 'threat-intel/maltrail/mass_scanner.txt', 'threat-intel/abusech-feodo/ipblocklist.csv'];
/** Reputation too: ipsum's 120k addresses corroborate scanners and attackers. */
const WITH_IPSUM = [...MALTRAIL, 'threat-intel/ipsum/ipsum.txt'];

/** The datasets, in SOURCES.md order. */
export const EVAL_DATASETS: readonly EvalDataset[] = [
  {
    name: 'slips-nfdump-test1',
    files: [{ path: 'flow-export/slips-nfdump/test1-malicious.nfdump', format: 'auto' }],
    expect: [{ kinds: ['bruteforce', 'scan'], src: '147.32.80.119', dst: '147.32.82.62', dport: 902, what: '2,305 SYN flows to 902/tcp in 33 s (SOURCES 1.6)' }],
  },
  ...[...FOX_IT, ...FOX_IT_RMI].map(
    ({ proto, vector, ev }): EvalDataset => ({
      name: `fox-it-${proto}-${vector}-ev${ev}`,
      files: [{ path: `pcap-malicious/fox-it-log4shell/${proto}-${vector}-ev${ev}.pcap`, format: 'pcap' }],
      expect: [{ kinds: ['log4j'], src: '172.17.0.1', what: `Log4Shell ${proto} via ${vector}, evasion ${ev} (SOURCES 2.1)` }],
    }),
  ),
  {
    name: 'ndpi-emotet',
    files: [{ path: 'pcap-malicious/ndpi/emotet.pcap', format: 'pcap' }],
    intel: MALTRAIL,
    expect: [{ kinds: ['c2', 'beacon'], src: '10.4.25.101', dst: '138.197.147.101', dport: 443, what: 'Emotet C2 TLS (SOURCES 2.2)' }],
  },
  {
    name: 'ndpi-log4j-webapp',
    files: [{ path: 'pcap-malicious/ndpi/log4j-webapp-exploit.pcap', format: 'pcap' }],
    expect: [{ kinds: ['log4j'], src: '172.16.238.1', dst: '172.16.238.10', what: 'Log4Shell POST /log4shell/login, LDAP callback (SOURCES 2.2)' }],
  },
  {
    name: 'ndpi-malware',
    files: [{ path: 'pcap-malicious/ndpi/malware.pcap', format: 'pcap' }],
    intel: MALTRAIL,
    expect: [{ kinds: ['c2'], src: '192.168.7.7', dst: '144.139.247.220', dport: 80, what: 'contact with maltrail-listed Emotet host (SOURCES 2.2)' }],
  },
  {
    name: 'ndpi-synscan',
    files: [{ path: 'pcap-malicious/ndpi/synscan.pcap', format: 'pcap' }],
    expect: [{ kinds: ['scan'], src: '172.16.0.8', dst: '64.13.134.52', what: 'nmap SYN scan of 1,000 ports (SOURCES 2.2)' }],
  },
  {
    name: 'ndpi-trickbot',
    files: [{ path: 'pcap-malicious/ndpi/trickbot.pcap', format: 'pcap' }],
    intel: MALTRAIL,
    expect: [{ kinds: ['c2', 'beacon'], src: '10.12.29.101', dst: '82.118.225.196', dport: 7080, what: 'TrickBot/Emotet C2 check-in (SOURCES 2.2)' }],
  },
  {
    name: 'slips-ssh-bruteforce',
    files: [{ path: 'pcap-malicious/slips/malicious-ssh-bruteforce.pcap', format: 'pcap' }],
    expect: [{ kinds: ['bruteforce'], src: '147.32.80.40', dst: '147.32.80.37', dport: 902, what: 'SSH brute force, 67 connections (SOURCES 2.3)' }],
  },
  {
    name: 'slips-beacon',
    files: [{ path: 'pcap-malicious/slips/test-cc-capture-1.pcap', format: 'pcap' }],
    expect: [{ kinds: ['beacon'], src: '147.32.80.37', dst: '141.193.213.21', dport: 443, what: 'periodic beacon every ~2.25 s (SOURCES 2.3)' }],
  },
  {
    name: 'slips-arp-scan',
    files: [{ path: 'pcap-malicious/slips/test8-malicious.pcap', format: 'pcap' }],
    expect: [{ kinds: ['scan'], src: '192.168.1.247', what: 'ARP scan of 192.168.1.0/24 (SOURCES 2.3)' }],
  },
  {
    name: 'zeek-nmap-vsn',
    files: [{ path: 'pcap-malicious/zeek/nmap-vsn.pcap', format: 'pcap' }],
    expect: [{ kinds: ['scan'], src: '192.168.1.71', what: 'nmap host discovery + version scan (SOURCES 2.4)' }],
  },
  {
    name: 'stopddos-isakmp',
    files: [{ path: 'pcap-malicious/stopddos/amp.UDP.isakmp.pcap', format: 'pcap' }],
    expect: [{ kinds: ['ddos'], dst: '10.10.10.10', what: 'ISAKMP reflection from 2,767 reflectors (SOURCES 2.5)' }],
  },
  {
    name: 'stopddos-dns-rrsig',
    files: [{ path: 'pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap', format: 'pcap' }],
    expect: [{ kinds: ['ddos'], dst: '10.10.10.10', what: 'DNS amplification, fragmented (SOURCES 2.5)' }],
  },
  {
    name: 'stopddos-synflood',
    files: [{ path: 'pcap-malicious/stopddos/pkt.TCP.synflood.spoofed.pcap', format: 'pcap' }],
    expect: [{ kinds: ['ddos'], dst: '10.10.10.10', dport: 25565, what: 'spoofed SYN flood (SOURCES 2.5)' }],
  },
  {
    name: 'ctu-001-njrat',
    files: [{ path: 'labeled-flows/stratosphere-security-datasets/001-zeek-scenario-malicious/labeled-conn.log', format: 'zeek-tsv' }],
    intel: MALTRAIL,
    zeekLabels: true,
    expect: [{ kinds: ['c2', 'beacon'], src: '192.168.1.115', dst: '41.108.179.197', dport: 1177, what: 'NjRAT C2, 237 flows (SOURCES 3.1)' }],
  },
  {
    name: 'ctu-002-nmap',
    files: [{ path: 'labeled-flows/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log', format: 'zeek-json' }],
    expect: [{ kinds: ['scan'], src: '172.16.1.11', what: 'nmap scans of 182 hosts, 105 ports (SOURCES 3.1)' }],
  },
  {
    name: 'ctu-003-androidtester',
    files: [{ path: 'labeled-flows/stratosphere-security-datasets/003-zeek-scenario-malicious/conn.log', format: 'auto' }],
    expect: [{ kinds: ['c2', 'beacon', 'exfil'], src: '10.8.0.61', dst: '147.32.83.234', dport: 1337, what: 'AndroidTester RAT C2, 12 connections (SOURCES 3.1)' }],
  },
  {
    name: 'ctu-008-010-two-days',
    files: [
      { path: 'labeled-flows/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled', format: 'zeek-tsv' },
      { path: 'labeled-flows/stratosphere-security-datasets/010-zeek-mixed/data/conn.log.labeled', format: 'zeek-tsv' },
    ],
    intel: WITH_IPSUM,
    zeekLabels: true,
    expect: [{ kinds: ['repeat'], src: '79.124.62.34', what: 'repeat attacker in 008 and 010 (SOURCES 3.1)' }],
  },
  {
    name: 'slips-horizontal',
    files: [{ path: 'labeled-flows/slips/port-scans/horizontal/conn.log', format: 'zeek-tsv' }],
    expect: [{ kinds: ['scan'], src: '10.0.2.112', dport: 80, what: 'horizontal scan of 10 hosts (SOURCES 3.2)' }],
  },
  {
    name: 'slips-vertical',
    files: [{ path: 'labeled-flows/slips/port-scans/vertical/conn.log', format: 'zeek-json' }],
    expect: [{ kinds: ['scan'], src: '192.168.1.9', dst: '45.33.32.156', what: 'vertical scan (SOURCES 3.2)' }],
  },
  {
    name: 'slips-test11',
    files: [{ path: 'labeled-flows/slips/test11-portscan.binetflow', format: 'auto' }],
    expect: [{ kinds: ['scan'], src: '10.8.0.69', dst: '14.1.11.113', what: 'vertical scan, descending ports (SOURCES 3.2)' }],
  },
  {
    name: 'slips-test3',
    files: [{ path: 'labeled-flows/slips/test3-mixed.binetflow', format: 'auto' }],
    intel: WITH_IPSUM,
    expect: [{ kinds: ['scan'], src: '46.166.151.160', dport: 3389, what: 'horizontal scan of 3389/tcp (SOURCES 3.2)' }],
  },
  {
    name: 'slips-test4',
    files: [{ path: 'labeled-flows/slips/test4-malicious.binetflow', format: 'auto' }],
    expect: [{ kinds: ['scan'], src: '192.168.2.12', dport: 81, what: 'horizontal scan of 81/tcp (SOURCES 3.2)' }],
  },
  {
    name: 'cic-portscan',
    // The CIC samples are random 1-in-N flow samples; the folder's README gives N: here 159,066 / 2,500 = 63.6.
    files: [{ path: 'labeled-flows/cicids2017-improved-sample/Portscan_2500.csv', format: 'auto', sampling: 64 }],
    cicLabels: true,
    expect: [{ kinds: ['scan'], src: '172.16.0.1', dst: '192.168.10.50', what: 'port scan (random sample of flows) (SOURCES 3.3)' }],
  },
  {
    name: 'cic-ddos',
    // The folder's README: "Randomly selected 2500 from DDoS_95144.csv": 1 flow in 95,144 / 2,500 = 38.06.
    files: [{ path: 'labeled-flows/cicids2017-improved-sample/DDoS_2500.csv', format: 'auto', sampling: 38 }],
    cicLabels: true,
    expect: [{ kinds: ['ddos'], dst: '192.168.10.50', what: 'LOIC HTTP flood (random sample of flows) (SOURCES 3.3)' }],
  },
  {
    name: 'cic-botnet',
    // "Copied all 736 records": unsampled.
    files: [{ path: 'labeled-flows/cicids2017-improved-sample/Botnet_736.csv', format: 'auto', sampling: 1 }],
    intel: MALTRAIL,
    cicLabels: true,
    expect: [{ kinds: ['c2', 'beacon'], dst: '205.174.165.73', what: 'Ares botnet C2 (random sample of flows) (SOURCES 3.3)' }],
  },
  {
    name: 'cic-benign',
    // 1,582,566 / 2,500 = 633.0.
    files: [{ path: 'labeled-flows/cicids2017-improved-sample/BENIGN_2500.csv', format: 'auto', sampling: 633 }],
    cicLabels: true,
    expect: [],
  },
  {
    name: 'rita-proxy',
    files: [{ path: 'zeek-logs/rita-proxy-tsv/conn.log', format: 'zeek-tsv' }],
    intel: MALTRAIL,
    expect: [],
  },
  {
    name: 'slips-test9-mixed',
    files: [
      { path: 'zeek-logs/slips-test9-mixed/conn.log', format: 'zeek-json' },
      { path: 'zeek-logs/slips-test9-mixed/http.log', format: 'auto' },
    ],
    expect: [{ kinds: ['log4j'], what: 'one jndi string in http.log (SOURCES 4.4)' }],
  },
];
