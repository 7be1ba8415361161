// Test fixtures: small scan outputs written after the formats' documentation (nmap's
// nmap.dtd and the -oX example of its reference guide; masscan's README and out-json.c), with
// the expected values worked out by hand in the tests that use them.

/**
 * `nmap -sV -oX` of 192.0.2.0/29 and one IPv6 host. 192.0.2.1 also appears in a <hosthint>
 * (nmap 7.9x), whose address must not count; the IPv6 host has no starttime (older nmap), so
 * it takes the scan's start; its <port> tag is cut across two lines.
 */
export const NMAP_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 7.94SVN scan initiated Tue Mar  5 10:12:01 2024 as: nmap -sV -oX scan.xml 192.0.2.0/29 2001:db8::10 -->
<nmaprun scanner="nmap" args="nmap -sV -oX scan.xml 192.0.2.0/29 2001:db8::10" start="1709633521" startstr="Tue Mar  5 10:12:01 2024" version="7.94SVN" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1000" services="1,3-4,6-7,9,13,17,19-26"/>
<verbose level="0"/>
<debugging level="0"/>
<hosthint><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.0.2.1" addrtype="ipv4"/>
<address addr="52:54:00:12:35:02" addrtype="mac" vendor="QEMU virtual NIC"/>
<hostnames>
</hostnames>
</hosthint>
<host starttime="1709633522" endtime="1709633540"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.0.2.1" addrtype="ipv4"/>
<address addr="52:54:00:12:35:02" addrtype="mac" vendor="QEMU virtual NIC"/>
<hostnames>
<hostname name="gw.example.net" type="PTR"/>
</hostnames>
<ports><extraports state="closed" count="996">
<extrareasons reason="reset" count="996" proto="tcp" ports="1,3-4,6-7,9,13,17,19-21"/>
</extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" product="OpenSSH" version="8.9p1 Ubuntu 3ubuntu0.6" extrainfo="Ubuntu Linux; protocol 2.0" ostype="Linux" method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:8.9p1</cpe><cpe>cpe:/o:linux:linux_kernel</cpe></service></port>
<port protocol="tcp" portid="53"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="domain" product="dnsmasq" version="2.90" method="probed" conf="10"><cpe>cpe:/a:thekelleys:dnsmasq:2.90</cpe></service></port>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" product="nginx" tunnel="ssl" method="probed" conf="10"><cpe>cpe:/a:igor_sysoev:nginx</cpe></service><script id="http-title" output="Site &lt;admin&gt; &amp; &quot;portal&quot; > home"><elem key="title">Site &lt;admin&gt;</elem></script></port>
<port protocol="tcp" portid="8080"><state state="filtered" reason="no-response" reason_ttl="0"/><service name="http-proxy" method="table" conf="3"/></port>
</ports>
<times srtt="350" rttvar="120" to="100000"/>
</host>
<host starttime="1709633522" endtime="1709633561"><status state="up" reason="echo-reply" reason_ttl="63"/>
<address addr="192.0.2.5" addrtype="ipv4"/>
<hostnames>
</hostnames>
<ports><port protocol="udp" portid="161"><state state="open" reason="udp-response" reason_ttl="63"/><service name="snmp" product="net-snmp" extrainfo="SNMPv3 server" method="probed" conf="10"/></port>
<port protocol="udp" portid="123"><state state="open|filtered" reason="no-response" reason_ttl="0"/><service name="ntp" method="table" conf="3"/></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="63"/></port>
</ports>
<times srtt="1020" rttvar="400" to="100000"/>
</host>
<host><status state="up" reason="echo-reply" reason_ttl="57"/>
<address addr="2001:DB8::10" addrtype="ipv6"/>
<hostnames>
</hostnames>
<ports><port protocol="tcp"
  portid="443"><state state="open" reason="syn-ack" reason_ttl="57"/><service name="https" method="table" conf="3"/></port>
</ports>
</host>
<runstats><finished time="1709633561" timestr="Tue Mar  5 10:12:41 2024" summary="Nmap done at Tue Mar  5 10:12:41 2024; 9 IP addresses (3 hosts up) scanned in 40.12 seconds" elapsed="40.12" exit="success"/><hosts up="3" down="6" total="9"/>
</runstats>
</nmaprun>
`;

/**
 * A rescan of 192.0.2.1 a day later (start 1709719921): sshd upgraded, and the 443 service not
 * identified this time (no product): the stored product must stay nginx.
 */
export const NMAP_XML_RESCAN = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sV -oX rescan.xml 192.0.2.1" start="1709719921" version="7.94SVN" xmloutputversion="1.05">
<host starttime="1709719922" endtime="1709719950"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.0.2.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" product="OpenSSH" version="9.6p1 Ubuntu 3ubuntu13" extrainfo="Ubuntu Linux; protocol 2.0" method="probed" conf="10"/></port>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="https" method="table" conf="3"/></port>
</ports>
</host>
</nmaprun>
`;

/**
 * masscan 1.0.x `-oJ` with `--banners`: a comma after every object (the last one too) and the
 * closing `{finished: 1}` that is not JSON. The second 198.51.100.7 record is a banner record
 * (no status); 198.51.100.12 is closed (--show closed).
 */
export const MASSCAN_OLD = `[
{   "ip": "198.51.100.7",   "timestamp": "1584816181", "ports": [ {"port": 80, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 54} ] },
{   "ip": "198.51.100.7",   "timestamp": "1584816183", "ports": [ {"port": 80, "proto": "tcp", "service": {"name": "http.server", "banner": "nginx/1.18.0"} } ] },
{   "ip": "198.51.100.9",   "timestamp": "1584816182", "ports": [ {"port": 443, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 118} ] },
{   "ip": "198.51.100.9",   "timestamp": "1584816185", "ports": [ {"port": 53, "proto": "udp", "status": "open", "reason": "none", "ttl": 118} ] },
{   "ip": "198.51.100.12",   "timestamp": "1584816186", "ports": [ {"port": 22, "proto": "tcp", "status": "closed", "reason": "rst-ack", "ttl": 64} ] },
{finished: 1}
]
`;

/** masscan 1.3 `-oJ`: the comma goes before each object after the first, on a line of its own. */
export const MASSCAN_NEW = `[
{   "ip": "203.0.113.4",   "timestamp": "1700000000", "ports": [ {"port": 22, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 61} ] }
,
{   "ip": "203.0.113.4",   "timestamp": "1700000002", "ports": [ {"port": 22, "proto": "tcp", "service": {"name": "ssh", "banner": "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3"} } ] }
]
`;
