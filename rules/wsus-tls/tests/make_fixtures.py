#!/usr/bin/env python3
"""Writes the wsus-tls pack's test artifact folders and the top-level examples.

Every file is written in the format Windows writes it (see reference FORMATS.md):
- `reg export` files: UTF-16LE with BOM, CRLF;
- SoftwareDistribution.log: tab-separated records, CRLF (UTF-8; one case UTF-16LE);
- wsyncmgr.log: SMS `$$<COMPONENT><date time+bias><thread=…>` framing, CRLF;
- systeminfo: list output, CRLF (ANSI from cmd; UTF-16LE when redirected in PowerShell 5.1);
- gpresult /x: UTF-16LE with BOM, `encoding="utf-16"`;
- WSUS configuration: `GetConfiguration() | ConvertTo-Json > wsus-config.json` in Windows
  PowerShell 5.1 (UTF-16LE with BOM, `"Key":  value` with two spaces);
- w3wp.exe.config: UTF-8 with BOM (Notepad), CRLF;
- network captures: classic pcap (microsecond, little-endian), Ethernet/IPv4/TCP;
- System.evtx: a Windows event log (file header, one chunk with its CRC32s, binary XML template
  instances), written by `evtx_writer.py` beside this script.

Run from anywhere: `python3 rules/wsus-tls/tests/make_fixtures.py`. The output is
deterministic (fixed timestamps, no randomness), so a re-run leaves git clean.
"""

import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ inside the pack
sys.path.insert(0, HERE)
import evtx_writer  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CASES = os.path.join(HERE, "cases")
EXAMPLES = os.path.join(ROOT, "examples")

# ---------------------------------------------------------------- encodings


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def utf16(text):
    return b"\xff\xfe" + crlf(text).encode("utf-16-le")


def utf8(text, bom=False):
    return (b"\xef\xbb\xbf" if bom else b"") + crlf(text).encode("utf-8")


def ansi(text):
    return crlf(text).encode("cp1252")


# ---------------------------------------------------------------- registry

NET64 = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319"
NET32 = r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319"
PROTOCOLS = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols"
CIPHER_POLICY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002"
CURRENT_VERSION = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion"


def reg_file(keys):
    """keys: list of (key path, [(name, rendered value)])."""
    out = "Windows Registry Editor Version 5.00\n\n"
    for key, values in keys:
        out += "[%s]\n" % key
        for name, value in values:
            out += '"%s"=%s\n' % (name, value)
        out += "\n"
    return utf16(out)


def dword(n):
    return "dword:%08x" % n


def reg_sz(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def hex7(items):
    """REG_MULTI_SZ as regedit writes it: hex(7): UTF-16LE, wrapped at 80 columns."""
    data = b"".join(i.encode("utf-16-le") + b"\0\0" for i in items) + b"\0\0"
    bytes_ = ["%02x" % b for b in data]
    lines, line = [], "hex(7):"
    prefix_len = len('"Functions"=')
    first = True
    for i, b in enumerate(bytes_):
        piece = b + ("," if i < len(bytes_) - 1 else "")
        limit = 80 - (prefix_len if first else 0)
        if len(line) + len(piece) > limit - 1 and i < len(bytes_) - 1:
            lines.append(line + "\\")
            line = "  "
            first = False
        line += piece
    lines.append(line)
    return "\n".join(lines)


def dotnet_reg(strong64=None, sdtv64=None, strong32=None, sdtv32=None, wow=True):
    """A `reg export HKLM\\SOFTWARE\\Microsoft\\.NETFramework` style file (both views; only the
    64-bit one with `wow=False`, as an export of that one key writes it)."""
    def values(root, strong, sdtv):
        v = [("InstallRoot", reg_sz(root))]
        if sdtv is not None:
            v.append(("SystemDefaultTlsVersions", dword(sdtv)))
        if strong is not None:
            v.append(("SchUseStrongCrypto", dword(strong)))
        return v
    keys = [
        (r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework", [
            ("InstallRoot", reg_sz("C:\\Windows\\Microsoft.NET\\Framework64\\")),
            ("Enable64Bit", dword(1)),
        ]),
        (NET64, values("C:\\Windows\\Microsoft.NET\\Framework64\\", strong64, sdtv64)),
    ]
    if wow:
        keys += [
            (r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework", [
                ("InstallRoot", reg_sz("C:\\Windows\\Microsoft.NET\\Framework\\")),
            ]),
            (NET32, values("C:\\Windows\\Microsoft.NET\\Framework\\", strong32, sdtv32)),
        ]
    return reg_file(keys)


def schannel_reg(disabled=()):
    """`reg export …\\SCHANNEL\\Protocols`; `disabled` lists client protocols turned off."""
    keys = [(PROTOCOLS, []), (PROTOCOLS + r"\SSL 2.0", []), (PROTOCOLS + r"\SSL 2.0\Client", [("DisabledByDefault", dword(1))])]
    for p in ("SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2"):
        if p in disabled:
            keys.append((PROTOCOLS + "\\" + p, []))
            keys.append((PROTOCOLS + "\\" + p + r"\Client", [("Enabled", dword(0)), ("DisabledByDefault", dword(1))]))
            keys.append((PROTOCOLS + "\\" + p + r"\Server", [("Enabled", dword(0)), ("DisabledByDefault", dword(1))]))
        elif p == "TLS 1.2" and disabled:
            keys.append((PROTOCOLS + "\\" + p, []))
            keys.append((PROTOCOLS + "\\" + p + r"\Client", [("Enabled", "dword:ffffffff"), ("DisabledByDefault", dword(0))]))
    return reg_file(keys)


def system_export_reg(disabled, select=None, other_set=None):
    """`reg export HKLM\\SYSTEM` (or an offline hive's export): the SCHANNEL protocol keys under the
    numbered set ControlSet001, no CurrentControlSet; `select` writes HKLM\\SYSTEM\\Select (Current
    = that set), `other_set` = (number, disabled) a second set with its own protocol keys."""
    def set_keys(n, off):
        text = schannel_reg(off).decode("utf-16-le")
        return text.replace(r"\SYSTEM\CurrentControlSet", "\\SYSTEM\\ControlSet%03d" % n)
    body = set_keys(1, disabled).lstrip("\ufeff")
    if other_set is not None:
        body += set_keys(*other_set).split("\r\n\r\n", 1)[1]
    if select is not None:
        head, rest = body.split("\r\n\r\n", 1)
        sel = ("[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\r\n\"Current\"=%s\r\n\"Default\"=%s\r\n"
               "\"Failed\"=dword:00000000\r\n\"LastKnownGood\"=%s\r\n" % (dword(select), dword(select), dword(select)))
        body = head + "\r\n\r\n" + rest + sel + "\r\n"
    return b"\xff\xfe" + body.encode("utf-16-le")


def cipher_policy_reg(functions, with_local=None):
    keys = [(CIPHER_POLICY, [("Functions", reg_sz(",".join(functions)))])]
    if with_local:
        keys.append((r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002",
                     [("Functions", hex7(with_local))]))
    return reg_file(keys)


OS = {
    "2012": dict(name="Microsoft Windows Server 2012 Standard", version="6.2.9200", build=9200, cv="6.2",
                 product="Windows Server 2012 Standard", major=None, ubr=None),
    "2012r2": dict(name="Microsoft Windows Server 2012 R2 Standard", version="6.3.9600", build=9600, cv="6.3",
                   product="Windows Server 2012 R2 Standard", major=None, ubr=19599),
    "2016": dict(name="Microsoft Windows Server 2016 Standard", version="10.0.14393", build=14393, cv="6.3",
                 product="Windows Server 2016 Standard", major=10, ubr=3750),
    "2019": dict(name="Microsoft Windows Server 2019 Datacenter", version="10.0.17763", build=17763, cv="6.3",
                 product="Windows Server 2019 Datacenter", major=10, ubr=1397),
}


def current_version_reg(os_key):
    o = OS[os_key]
    v = [("ProductName", reg_sz(o["product"])), ("InstallationType", reg_sz("Server")),
         ("CurrentVersion", reg_sz(o["cv"])), ("CurrentBuild", reg_sz(str(o["build"]))),
         ("CurrentBuildNumber", reg_sz(str(o["build"]))), ("EditionID", reg_sz("ServerStandard"))]
    if o["major"]:
        v += [("CurrentMajorVersionNumber", dword(o["major"])), ("CurrentMinorVersionNumber", dword(0))]
    if o["ubr"]:
        v.append(("UBR", dword(o["ubr"])))
    return reg_file([(CURRENT_VERSION, v)])


# ---------------------------------------------------------------- systeminfo

def systeminfo(os_key, hotfixes, host="WSUS01"):
    o = OS[os_key]
    lines = [
        "",
        "Host Name:                 %s" % host,
        "OS Name:                   %s" % o["name"],
        "OS Version:                %s N/A Build %d" % (o["version"], o["build"]),
        "OS Manufacturer:           Microsoft Corporation",
        "OS Configuration:          Member Server",
        "OS Build Type:             Multiprocessor Free",
        "Registered Owner:          Windows User",
        "Registered Organization:   ",
        "Product ID:                00252-70000-00000-AA535",
        "Original Install Date:     3/14/2019, 10:02:11 AM",
        "System Boot Time:          8/11/2020, 6:12:40 AM",
        "System Manufacturer:       VMware, Inc.",
        "System Model:              VMware7,1",
        "System Type:               x64-based PC",
        "Processor(s):              1 Processor(s) Installed.",
        "                           [01]: Intel64 Family 6 Model 85 Stepping 7 GenuineIntel ~2394 Mhz",
        "BIOS Version:              VMware, Inc. VMW71.00V.13989454.B64.1906190538, 6/19/2019",
        "Windows Directory:         C:\\Windows",
        "System Directory:          C:\\Windows\\system32",
        "Boot Device:               \\Device\\HarddiskVolume1",
        "System Locale:             en-us;English (United States)",
        "Input Locale:              en-us;English (United States)",
        "Time Zone:                 (UTC-05:00) Eastern Time (US & Canada)",
        "Total Physical Memory:     16,383 MB",
        "Available Physical Memory: 9,102 MB",
        "Domain:                    contoso.com",
        "Logon Server:              \\\\DC01",
        "Hotfix(s):                 %d Hotfix(s) Installed." % len(hotfixes),
    ]
    for i, kb in enumerate(hotfixes, 1):
        lines.append("                           [%02d]: %s" % (i, kb))
    lines += [
        "Network Card(s):           1 NIC(s) Installed.",
        "                           [01]: vmxnet3 Ethernet Adapter",
        "                                 Connection Name: Ethernet0",
        "                                 DHCP Enabled:    No",
        "                                 IP address(es)",
        "                                 [01]: 10.0.0.20",
        "Hyper-V Requirements:      A hypervisor has been detected. Features required for Hyper-V will not be displayed.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- SoftwareDistribution.log

def sd_record(time, level, proc, component, message, more=()):
    head = "%s UTC\t%s\t%s\t%s\t%s" % (time, level, proc, component, message)
    return "\n".join([head] + list(more))


def sd_log(records):
    return "\n".join(records) + "\n"


PROXY_EXC = "WebServiceCommunicationHelper.ProcessWebServiceProxyException"

SEND_RESET = ("ProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: "
              "System.Net.WebException: The underlying connection was closed: An unexpected error occurred on a send. "
              "---> System.IO.IOException: Unable to read data from the transport connection: An existing connection was "
              "forcibly closed by the remote host. ---> System.Net.Sockets.SocketException: An existing connection was "
              "forcibly closed by the remote host")
SEND_RESET_FINAL = SEND_RESET.replace("Action: Retry.", "but Retry Limit Exceeded. Action: No Retry, Fail.")
SEND_FRAMES = [
    "   at System.Net.Sockets.NetworkStream.Read(Byte[] buffer, Int32 offset, Int32 size)",
    "   --- End of inner exception stack trace ---",
    "   at System.Net.TlsStream.EndWrite(IAsyncResult asyncResult)",
    "   at System.Net.TlsStream.ProcessAuthentication(LazyAsyncResult result)",
    "   at System.Net.TlsStream.Write(Byte[] buffer, Int32 offset, Int32 size)",
    "   at System.Net.PooledStream.Write(Byte[] buffer, Int32 offset, Int32 size)",
    "   at System.Net.ConnectStream.WriteHeaders(Boolean async)",
    "   --- End of inner exception stack trace ---",
    "   at System.Web.Services.Protocols.WebClientProtocol.GetWebResponse(WebRequest request)",
    "   at System.Web.Services.Protocols.SoapHttpClientProtocol.Invoke(String methodName, Object[] parameters)",
]
# The same failure on a German system: messages localised, type names and "--->" not.
SEND_RESET_DE = ("ProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: "
                 "System.Net.WebException: Die zugrunde liegende Verbindung wurde geschlossen: Unerwarteter Fehler beim Senden.. "
                 "---> System.IO.IOException: Von der Übertragungsverbindung können keine Daten gelesen werden: Eine vorhandene "
                 "Verbindung wurde vom Remotehost geschlossen. ---> System.Net.Sockets.SocketException: Eine vorhandene "
                 "Verbindung wurde vom Remotehost geschlossen")
SEND_FRAMES_DE = [f.replace("   at ", "   bei ").replace("End of inner exception stack trace", "Ende der internen Ausnahmestapelüberwachung") for f in SEND_FRAMES]

RECV_ALGO = ("ProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: "
             "System.Net.WebException: The underlying connection was closed: An unexpected error occurred on a receive. "
             "---> System.ComponentModel.Win32Exception: The client and server cannot communicate, because they do not "
             "possess a common algorithm")
RECV_FRAMES = [
    "   at System.Net.SSPIWrapper.AcquireCredentialsHandle(SSPIInterface SecModule, String package, CredentialUse intent, SecureCredential scc)",
    "   at System.Net.Security.SecureChannel.AcquireCredentialsHandle(CredentialUse credUsage, SecureCredential& secureCredential)",
    "   at System.Net.Security.SecureChannel.AcquireClientCredentials(Byte[]& thumbPrint)",
    "   at System.Net.Security.SecureChannel.GenerateToken(Byte[] input, Int32 offset, Int32 count, Byte[]& output)",
    "   at System.Net.Security.SslState.StartSendBlob(Byte[] incoming, Int32 count, AsyncProtocolRequest asyncRequest)",
    "   --- End of inner exception stack trace ---",
    "   at System.Web.Services.Protocols.WebClientProtocol.GetWebResponse(WebRequest request)",
]
RECV_ALGO_FR = ("ProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: "
                "System.Net.WebException: La connexion sous-jacente a été fermée : Une erreur inattendue s'est produite lors d'une réception. "
                "---> System.ComponentModel.Win32Exception: Le client et le serveur ne peuvent pas communiquer car ils ne possèdent "
                "pas d'algorithme commun")

# A Win32Exception under the WebException that is not the common-algorithm failure (the LSA is
# unreachable: SEC_E_INTERNAL_ERROR): not issue 2 or 4.
RECV_LSA = RECV_ALGO.replace("The client and server cannot communicate, because they do not possess a common algorithm",
                             "The Local Security Authority cannot be contacted")
# The common-algorithm failure in a language the pack has no text for, with the error code written.
RECV_ALGO_CODE = RECV_ALGO.replace("Win32Exception: The client and server cannot communicate, because they do not possess a common algorithm",
                                   "Win32Exception (0x80090331): El cliente y el servidor no pueden comunicarse porque no tienen un algoritmo en com\u00fan")

TRUST = ("ProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: "
         "System.Net.WebException: The underlying connection was closed: Could not establish trust relationship for the "
         "SSL/TLS secure channel. ---> System.Security.Authentication.AuthenticationException: The remote certificate is "
         "invalid according to the validation procedure.")
NAME_RES = ("ProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: "
            "System.Net.WebException: The remote name could not be resolved: 'sws.update.microsoft.com'")
PROXY_407 = ("ProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: "
             "System.Net.WebException: The remote server returned an error: (407) Proxy Authentication Required.")
PROXY_REFUSED = ("ProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: "
                 "System.Net.WebException: Unable to connect to the remote server ---> System.Net.Sockets.SocketException: "
                 "No connection could be made because the target machine actively refused it 10.0.0.5:8080")

SWS = "https://sws.update.microsoft.com/v6/ServerSyncWebService/ServerSyncWebService.asmx"
FE2 = "https://fe2.update.microsoft.com/v6/ServerSyncWebService/ServerSyncWebService.asmx"
SWS1 = "https://sws1.update.microsoft.com/v6/ServerSyncWebService/ServerSyncWebService.asmx"
CATALOG = "https://catalog.update.microsoft.com/v7/site/"


def startup(t, lines):
    """SCHANNEL lines WSUS writes at start (only with the TLS 1.2 enabling update)."""
    out = [sd_record(t + ".104", "Info", "w3wp.9", "WebService.Startup", "WSUS startup")]
    for i, l in enumerate(lines):
        out.append(sd_record(t + ".%03d" % (110 + i), "Info", "w3wp.9", "Schannel.LogProtocolSettings", l))
    return out


SCH_DEFAULT = ["SCHANNEL Protocols subkey for 'TLS 1.0' not found. Protocol is enabled",
               "SCHANNEL Protocols subkey for 'TLS 1.1' not found. Protocol is enabled",
               "SCHANNEL Protocols subkey for 'TLS 1.2' not found. Protocol is enabled"]
SCH_OLD_OFF = ["SCHANNEL Protocol 'TLS 1.0' disabled",
               "SCHANNEL Protocol 'TLS 1.1' disabled",
               "SCHANNEL Protocols subkey for 'TLS 1.2' not found. Protocol is enabled"]


def sync_started(t, proc="WsusService.25"):
    return [sd_record(t, "Info", proc, "EventLogEventReporter.ReportEvent",
                      "EventId=381,Type=Information,Category=Synchronization,Message=A synchronization was started."),
            sd_record(t[:-3] + "%03d" % (int(t[-3:]) + 40), "Info", proc, "CatalogSyncAgentCore.ExecuteSyncProtocol",
                      "Starting sync, Actor = " + SWS)]


def sync_ok(t, proc="WsusService.25"):
    return [sd_record(t, "Info", proc, "EventLogEventReporter.ReportEvent",
                      "EventId=384,Type=Information,Category=Synchronization,Message=Synchronization completed successfully.")]


def sync_failed(t, proc="WsusService.25"):
    return [sd_record(t, "Error", proc, "EventLogEventReporter.ReportEvent",
                      "EventId=386,Type=Error,Category=Synchronization,Message=Synchronization failed. Reason: The underlying "
                      "connection was closed: An unexpected error occurred on a send..")]


def failure(t, proc, message, frames, final=False):
    level = "Error" if final else "Warning"
    return sd_record(t, level, proc, PROXY_EXC, message, frames)


def import_attempt(t, proc="w3wp.126"):
    return sd_record(t, "Info", proc, "ImportUpdate.ImportUpdateFromCatalogSite",
                     "Importing update 4b2f6a1e-6c5f-4a5e-9c0f-2b1a7c4d9e31 from " + CATALOG)


# ---------------------------------------------------------------- wsyncmgr.log (SMS framing)

def wsyncmgr(lines):
    out = []
    for t, msg in lines:
        out.append("%s  $$<SMS_WSUS_SYNC_MANAGER><08-12-2020 %s+240><thread=5468 (0x155C)>" % (msg, t))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- gpresult /x

def gpresult(cipher_suites=None, gpo="TLS Hardening - Servers"):
    guid = "{6AC1786C-016F-11D2-945F-00C04FB984F9}"
    ext = ""
    if cipher_suites is not None:
        ext = """
      <Extension xmlns:q1="http://www.microsoft.com/GroupPolicy/Settings/Registry" xsi:type="q1:RegistrySettings" xmlns="http://www.microsoft.com/GroupPolicy/Settings">
        <q1:Policy>
          <q1:GPO>
            <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">%s</Identifier>
            <Domain xmlns="http://www.microsoft.com/GroupPolicy/Types">contoso.com</Domain>
          </q1:GPO>
          <q1:Precedence>1</q1:Precedence>
          <q1:Name>SSL Cipher Suite Order</q1:Name>
          <q1:State>Enabled</q1:State>
          <q1:Explain>This policy setting determines the cipher suites used by the Secure Socket Layer (SSL).</q1:Explain>
          <q1:Supported>At least Windows Vista</q1:Supported>
          <q1:Category>Network/SSL Configuration Settings</q1:Category>
          <q1:EditText>
            <q1:Name>SSL Cipher Suites</q1:Name>
            <q1:Value>%s</q1:Value>
          </q1:EditText>
        </q1:Policy>
      </Extension>
      <Name>Registry</Name>""" % (guid, ",".join(cipher_suites))
    else:
        ext = """
      <Extension xmlns:q1="http://www.microsoft.com/GroupPolicy/Settings/Security" xsi:type="q1:SecuritySettings" xmlns="http://www.microsoft.com/GroupPolicy/Settings">
        <q1:Account>
          <q1:GPO>
            <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{31B2F340-016D-11D2-945F-00C04FB984F9}</Identifier>
            <Domain xmlns="http://www.microsoft.com/GroupPolicy/Types">contoso.com</Domain>
          </q1:GPO>
          <q1:Precedence>1</q1:Precedence>
          <q1:Name>MinimumPasswordLength</q1:Name>
          <q1:SettingNumber>14</q1:SettingNumber>
          <q1:Type>Password</q1:Type>
        </q1:Account>
      </Extension>
      <Name>Security</Name>"""
        gpo = "Default Domain Policy"
        guid = "{31B2F340-016D-11D2-945F-00C04FB984F9}"
    text = """<?xml version="1.0" encoding="utf-16"?>
<Rsop xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.microsoft.com/GroupPolicy/Rsop">
  <ReadTime>2020-08-12T14:02:33.4817741Z</ReadTime>
  <DataType>RSOP</DataType>
  <ComputerResults>
    <Version>2</Version>
    <Name>CONTOSO\\WSUS01$</Name>
    <Domain>contoso.com</Domain>
    <SOM>contoso.com/Servers/WSUS</SOM>
    <Site>Default-First-Site-Name</Site>
    <SearchedSOM>
      <Path>contoso.com/Servers/WSUS</Path>
      <Type>OU</Type>
      <Order>1</Order>
      <BlocksInheritance>false</BlocksInheritance>
      <Blocked>false</Blocked>
      <Reason>Normal</Reason>
    </SearchedSOM>
    <SlowLink>false</SlowLink>
    <GPO>
      <Name>%s</Name>
      <Path>
        <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">%s</Identifier>
        <Domain xmlns="http://www.microsoft.com/GroupPolicy/Types">contoso.com</Domain>
      </Path>
      <VersionDirectory>3</VersionDirectory>
      <VersionSysvol>3</VersionSysvol>
      <Enabled>true</Enabled>
      <IsValid>true</IsValid>
      <FilterAllowed>true</FilterAllowed>
      <AccessDenied>false</AccessDenied>
      <Link>
        <SOMPath>contoso.com/Servers</SOMPath>
        <SOMOrder>1</SOMOrder>
        <AppliedOrder>1</AppliedOrder>
        <LinkOrder>1</LinkOrder>
        <Enabled>true</Enabled>
        <NoOverride>false</NoOverride>
      </Link>
      <SecurityFilter>NT AUTHORITY\\Authenticated Users</SecurityFilter>
      <ExtensionName>Registry</ExtensionName>
    </GPO>
    <ExtensionData>%s
    </ExtensionData>
  </ComputerResults>
</Rsop>
""" % (gpo, guid, ext)
    return utf16(text)


# ---------------------------------------------------------------- WSUS configuration JSON (PS 5.1)

def wsus_config(mu_url, proxy=None):
    use_proxy = "true" if proxy else "false"
    proxy_name = '"%s"' % proxy[0] if proxy else "null"
    port = proxy[1] if proxy else 80
    text = """{
    "UpdateServer":  {
                         "WebServiceUrl":  "https://wsus01.contoso.com:8531/ApiRemoting30/WebService.asmx",
                         "IsConnectionSecureForApiRemoting":  true,
                         "PortNumber":  8531,
                         "Version":  {
                                         "Major":  10,
                                         "Minor":  0,
                                         "Build":  14393,
                                         "Revision":  2969
                                     },
                         "Name":  "wsus01.contoso.com",
                         "UseSecureConnection":  true
                     },
    "SyncFromMicrosoftUpdate":  true,
    "UpstreamWsusServerName":  "",
    "UpstreamWsusServerPortNumber":  8530,
    "UpstreamWsusServerUseSsl":  false,
    "IsReplicaServer":  false,
    "UseProxy":  %s,
    "ProxyName":  %s,
    "ProxyServerPort":  %d,
    "UseSeparateProxyForSsl":  false,
    "SslProxyName":  null,
    "SslProxyServerPort":  443,
    "AnonymousProxyAccess":  true,
    "ProxyUserName":  null,
    "ProxyUserDomain":  null,
    "HasProxyPassword":  false,
    "AllowProxyCredentialsOverNonSsl":  false,
    "MUUrl":  "%s",
    "ServerId":  "3f5b1c2e-8d4a-4c6b-9e1f-0a2b3c4d5e6f",
    "DownloadExpressPackages":  false,
    "LocalContentCachePath":  "D:\\\\WSUS\\\\WsusContent",
    "TargetingMode":  1,
    "SyncToSlaveServers":  false
}
""" % (use_proxy, proxy_name, port, mu_url)
    return utf16(text)


# ---------------------------------------------------------------- w3wp.exe.config

W3WP_NEW = """<?xml version="1.0" encoding="utf-8"?>
<configuration>
   <runtime>
      <AppContextSwitchOverrides value="Switch.System.Net.DontEnableSystemDefaultTlsVersions=false"/>
   </runtime>
</configuration>
"""
W3WP_EXISTING_NO_SWITCH = """<?xml version="1.0" encoding="utf-8"?>
<configuration>
   <system.diagnostics>
      <trace autoflush="true" />
   </system.diagnostics>
</configuration>
"""
W3WP_SWITCH_TRUE = """<?xml version="1.0" encoding="utf-8"?>
<configuration>
   <runtime>
      <AppContextSwitchOverrides value="Switch.System.Net.DontEnableSchUseStrongCrypto=false;Switch.System.Net.DontEnableSystemDefaultTlsVersions=true"/>
   </runtime>
</configuration>
"""

# ---------------------------------------------------------------- pcap

SUITES = {
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": 0xC030, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": 0xC02F,
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384": 0xC028, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256": 0xC027,
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": 0xC02B,
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": 0xC014, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": 0xC013,
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384": 0x009F, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256": 0x009E,
    "TLS_RSA_WITH_AES_256_GCM_SHA384": 0x009D, "TLS_RSA_WITH_AES_128_GCM_SHA256": 0x009C,
    "TLS_RSA_WITH_AES_256_CBC_SHA": 0x0035, "TLS_RSA_WITH_AES_128_CBC_SHA": 0x002F,
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA": 0x000A,
}
TLS10_SUITES = ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"]
TLS12_DEFAULT = ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_256_GCM_SHA384"]
HARDENED = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]


def client_hello(version, suites, sni):
    ver = {"1.0": 0x0301, "1.1": 0x0302, "1.2": 0x0303}[version]
    name = sni.encode()
    sni_ext = struct.pack(">HHHBH", 0x0000, len(name) + 5, len(name) + 3, 0, len(name)) + name
    ext = sni_ext
    if version == "1.2":
        sig = struct.pack(">HHH", 0x000D, 8, 6) + struct.pack(">HHH", 0x0401, 0x0501, 0x0201)
        groups = struct.pack(">HHH", 0x000A, 6, 4) + struct.pack(">HH", 0x0017, 0x0018)
        ext += sig + groups
    ext += struct.pack(">HHB", 0x000B, 2, 1) + b"\x00"  # ec_point_formats: uncompressed
    body = struct.pack(">H", ver) + bytes(range(32)) + b"\x00"
    body += struct.pack(">H", 2 * len(suites)) + b"".join(struct.pack(">H", SUITES[s]) for s in suites)
    body += b"\x01\x00" + struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def server_hello(suite):
    body = struct.pack(">H", 0x0303) + bytes(range(100, 132)) + b"\x20" + bytes(range(32))
    body += struct.pack(">H", SUITES[suite]) + b"\x00"
    ext = struct.pack(">HH", 0xFF01, 1) + b"\x00"
    body += struct.pack(">H", len(ext)) + ext
    hs = b"\x02" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack(">H", len(hs)) + hs


def ip_checksum(h):
    s = sum(struct.unpack(">10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


class Capture:
    def __init__(self):
        self.frames = []
        self.t = 1597240800  # 2020-08-12 14:00:00 UTC
        self.us = 0

    def tcp(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        f = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}
        fl = sum(f[c] for c in flags)
        tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, fl, 64240, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, len(self.frames) + 1, 0x4000, 128, 6, 0,
                         bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
        ip = ip[:10] + struct.pack(">H", ip_checksum(ip)) + ip[12:]
        eth = b"\x00\x50\x56\xaa\xbb\x01" + b"\x00\x50\x56\xaa\xbb\x02" + b"\x08\x00"
        self.us += 1500
        self.frames.append((self.t + self.us // 1000000, self.us % 1000000, eth + ip + tcp + payload))

    def bytes(self):
        out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        for sec, usec, data in self.frames:
            out += struct.pack("<IIII", sec, usec, len(data), len(data)) + data
        return out


WSUS_IP, SWS_IP, PROXY_IP = "10.0.0.20", "20.72.205.209", "10.0.0.5"


def conn(cap, sport, server=SWS_IP, dport=443, hello=None, answer="rst", suite=None, connect=None):
    """One connection: handshake, optional CONNECT, optional ClientHello, then the answer."""
    c, s = 1000, 5000
    cap.tcp(WSUS_IP, server, sport, dport, c, 0, "S")
    cap.tcp(server, WSUS_IP, dport, sport, s, c + 1, "SA")
    cap.tcp(WSUS_IP, server, sport, dport, c + 1, s + 1, "A")
    c, s = c + 1, s + 1
    if connect:
        req = ("CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Connection: Keep-Alive\r\n\r\n" % (connect, connect)).encode()
        cap.tcp(WSUS_IP, server, sport, dport, c, s, "PA", req)
        c += len(req)
        resp = b"HTTP/1.1 200 Connection established\r\n\r\n"
        cap.tcp(server, WSUS_IP, dport, sport, s, c, "PA", resp)
        s += len(resp)
    if hello:
        data = client_hello(*hello)
        cap.tcp(WSUS_IP, server, sport, dport, c, s, "PA", data)
        c += len(data)
    if answer == "rst":
        cap.tcp(server, WSUS_IP, dport, sport, s, c, "RA")
    elif answer == "fin_server":
        cap.tcp(server, WSUS_IP, dport, sport, s, c, "FA")
        cap.tcp(WSUS_IP, server, sport, dport, c, s + 1, "FA")
    elif answer == "fin_client":
        cap.tcp(WSUS_IP, server, sport, dport, c, s, "FA")
        cap.tcp(server, WSUS_IP, dport, sport, s, c + 1, "FA")
        cap.tcp(WSUS_IP, server, sport, dport, c + 1, s + 1, "A")
    elif answer == "server_hello":
        data = server_hello(suite)
        cap.tcp(server, WSUS_IP, dport, sport, s, c, "PA", data)


def capture(kind):
    cap = Capture()
    sni = "sws.update.microsoft.com"
    if kind == "tls10_rst":
        for i in range(3):
            conn(cap, 50210 + i, hello=("1.0", TLS10_SUITES, sni), answer="rst")
    elif kind == "fin_no_hello":
        for i in range(2):
            conn(cap, 50310 + i, answer="fin_client")
    elif kind == "tls12_nocommon_rst":
        for i in range(2):
            conn(cap, 50410 + i, hello=("1.2", HARDENED, sni), answer="rst")
    elif kind == "tls12_ok":
        conn(cap, 50510, hello=("1.2", TLS12_DEFAULT, sni), answer="server_hello",
             suite="TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    elif kind == "proxy_tls10_fin":
        for i in range(2):
            conn(cap, 50610 + i, server=PROXY_IP, dport=8080, hello=("1.0", TLS10_SUITES, sni), answer="fin_server",
                 connect="sws.update.microsoft.com:443")
    return cap.bytes()


# ---------------------------------------------------------------- saved probe (triage probe tls -o probe.json)

def probe_json(host_versions, host_suites, host_answer, would_succeed, source="registry_policy", build=14393):
    import json
    versions = [
        {"version": "TLS 1.0", "answer": "rst", "accepted": False},
        {"version": "TLS 1.1", "answer": "rst", "accepted": False},
        {"version": "TLS 1.2", "answer": "server_hello", "accepted": True, "server_version": "TLS 1.2",
         "suite": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
        {"version": "TLS 1.3", "answer": "alert:protocol_version", "accepted": False, "alert": "protocol_version"},
    ]
    as_host = {"versions": host_versions, "suites": host_suites, "suite_source": source, "os_build": build,
               "answer": host_answer, "would_succeed": would_succeed, "notes": []}
    report = {"format": "triage-probe-tls/1", "target": "sws.update.microsoft.com:443",
              "sni": "sws.update.microsoft.com", "connections": 9, "versions": versions,
              "suites": {"TLS 1.2": ENDPOINT_SUITES}, "as_host": as_host, "errors": []}
    return (json.dumps(report, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------- the cases

ROLLUP_2012R2 = "KB4025336"   # July 2017 Monthly Rollup for Windows Server 2012 R2
SECURITY_ONLY_2012R2 = ["KB2919355", "KB2919442", "KB3173424", "KB4025333", "KB4034672", "KB4038793", "KB4041687",
                        "KB4048961", "KB4054522", "KB4056898"]
HOTFIX_2016 = ["KB4576750", "KB4565912", "KB4570332"]
HOTFIX_2019 = ["KB4570720", "KB4566424", "KB4565625"]

ENDPOINT_SUITES = ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                   "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"]
POLICY_NO_COMMON = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384_P384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256_P256",
                    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]
POLICY_2012_OK = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384_P384", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256",
                  "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"]
LOCAL_DEFAULT_2016 = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                      "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]


# ---------------------------------------------------------------- event logs

SCHANNEL_GUID = "{1F678132-5938-4686-9FDC-C8FF68F15C85}"
SCM_GUID = "{555908D1-A6D7-4695-8E1E-26931D2012F4}"


def schannel_event(event_id, time, data):
    return dict(provider="Schannel", guid=SCHANNEL_GUID, event_id=event_id, level=2, time=time, data=data)


def system_evtx(day, events):
    """System.evtx: the services starting at boot, then `events` (Schannel's)."""
    boot = [dict(provider="Service Control Manager", guid=SCM_GUID, event_id=7036, time=day + "T07:29:58.120000Z",
                 data=[("param1", "Windows Update"), ("param2", "running")]),
            dict(provider="Service Control Manager", guid=SCM_GUID, event_id=7036, time=day + "T07:30:02.480000Z",
                 data=[("param1", "WSUS Service"), ("param2", "running")])]
    return evtx_writer.evtx(boot + events)


# 36871 "A fatal error occurred while creating a TLS client credential. The internal error state is
# 10013.": the process may use only protocols that are disabled.
NO_CREDENTIAL = [("Type", "client"), ("ErrorState", "10013")]


def alert_received(code):
    """36887 "A fatal alert was received from the remote endpoint. The TLS protocol defined fatal
    alert code is <code>." (40 handshake_failure, 48 unknown_ca)."""
    return [("AlertDesc", str(code))]


def base(os_key, hotfixes, mu=SWS, dotnet=None, schannel=(), policy=None, gp=None, proxy=None,
         systeminfo_utf16=False):
    files = {
        "systeminfo.txt": (utf16 if systeminfo_utf16 else ansi)(systeminfo(os_key, hotfixes)),
        "CurrentVersion.reg": current_version_reg(os_key),
        "NETFramework.reg": dotnet_reg(**(dotnet or {})),
        "SCHANNEL-Protocols.reg": schannel_reg(schannel),
        "wsus-config.json": wsus_config(mu.split("/v6/")[0], proxy),
        "gpresult.xml": gpresult(gp),
    }
    if policy is not None:
        files["CipherSuitePolicy.reg"] = cipher_policy_reg(policy, with_local=LOCAL_DEFAULT_2016)
    return files


ALL_ON = dict(strong64=1, sdtv64=1, strong32=1, sdtv32=1)


def cases():
    c = {}

    # Issue 1: import (w3wp) reset on send; sync fine; .NET values missing; TLS 1.0 allowed.
    log1 = sd_log(startup("2020-08-12 13:58:01", SCH_DEFAULT) + sync_started("2020-08-12 14:00:00.200")
                  + sync_ok("2020-08-12 14:03:12.880")
                  + [import_attempt("2020-08-12 14:10:05.311"),
                     failure("2020-08-12 14:10:05.942", "w3wp.126", SEND_RESET, SEND_FRAMES),
                     failure("2020-08-12 14:10:07.013", "w3wp.126", SEND_RESET, SEND_FRAMES),
                     failure("2020-08-12 14:10:09.120", "w3wp.126", SEND_RESET_FINAL, SEND_FRAMES, final=True)])
    issue1 = base("2016", HOTFIX_2016, dotnet=dict(strong64=1))
    issue1["SoftwareDistribution.log"] = utf8(log1)
    c["issue1-import-tls12"] = issue1

    c["issue1-capture"] = dict(issue1, **{"sync.pcap": capture("tls10_rst")})

    de = dict(issue1)
    de["SoftwareDistribution.log"] = utf8(log1.replace(SEND_RESET_FINAL, SEND_RESET_DE.replace("Action: Retry.", "but Retry Limit Exceeded. Action: No Retry, Fail."))
                                          .replace(SEND_RESET, SEND_RESET_DE)
                                          .replace("\n".join(SEND_FRAMES), "\n".join(SEND_FRAMES_DE)))
    c["issue1-localised-de"] = de

    fixed_reg = dict(issue1, **{"NETFramework.reg": dotnet_reg(**ALL_ON)})
    c["issue1-fixed-registry"] = fixed_reg

    fixed_cfg = dict(issue1, **{"w3wp.exe.config": utf8(W3WP_NEW, bom=True)})
    c["issue1-fixed-w3wp-config"] = fixed_cfg

    c["issue1-config-switch-true"] = dict(issue1, **{"w3wp.exe.config": utf8(W3WP_SWITCH_TRUE, bom=True)})

    c["issue1-log-only"] = {"SoftwareDistribution.log": utf8(log1)}
    c["issue1-log-and-systeminfo"] = {"SoftwareDistribution.log": utf8(log1), "systeminfo.txt": issue1["systeminfo.txt"]}
    # No .NETFramework export (other .reg files remain): unknown, not "values not 1".
    c["issue1-no-dotnet-export"] = {k: v for k, v in issue1.items() if k != "NETFramework.reg"}
    # 64-bit values set, export without the WOW6432Node key: w3wp is 64-bit, the import can use TLS 1.2.
    c["issue1-fixed-64bit-only"] = dict(issue1, **{"NETFramework.reg": dotnet_reg(strong64=1, sdtv64=1, wow=False)})
    # Only the WOW6432Node values set: the 64-bit w3wp still offers TLS 1.0.
    c["issue1-32bit-only-set"] = dict(issue1, **{"NETFramework.reg": dotnet_reg(strong32=1, sdtv32=1)})

    # Issue 1 vs 5: the same reset under w3wp, but .NET is already on TLS 1.2 and a GPO leaves no common suite.
    # Issue 2: TLS 1.0/1.1 disabled; import refused locally on receive.
    log2 = sd_log(startup("2020-09-01 07:30:11", SCH_OLD_OFF) + sync_started("2020-09-01 08:00:00.100")
                  + sync_ok("2020-09-01 08:02:44.517")
                  + [import_attempt("2020-09-01 09:12:40.004"),
                     failure("2020-09-01 09:12:40.377", "w3wp.58", RECV_ALGO, RECV_FRAMES),
                     failure("2020-09-01 09:12:41.402", "w3wp.58", RECV_ALGO, RECV_FRAMES, final=True)])
    issue2 = base("2019", HOTFIX_2019, schannel=("SSL 3.0", "TLS 1.0", "TLS 1.1"))
    issue2["SoftwareDistribution.log"] = utf8(log2)
    c["issue2-tls10-disabled"] = issue2
    c["issue2-capture"] = dict(issue2, **{"import.pcap": capture("fin_no_hello")})
    fr = dict(issue2)
    fr["SoftwareDistribution.log"] = utf16(log2.replace(RECV_ALGO, RECV_ALGO_FR))
    c["issue2-localised-fr"] = fr
    c["issue2-fixed-registry"] = dict(issue2, **{"NETFramework.reg": dotnet_reg(**ALL_ON)})
    # Registry says TLS 1.0/1.1 are off but the log has no startup lines (WSUS not restarted since).
    reg_only = dict(issue2)
    reg_only["SoftwareDistribution.log"] = utf8(sd_log(sync_started("2020-09-01 08:00:00.100") + sync_ok("2020-09-01 08:02:44.517")
                                                       + [failure("2020-09-01 09:12:40.377", "w3wp.58", RECV_ALGO, RECV_FRAMES)]))
    c["issue2-registry-evidence"] = reg_only
    # The same, exported from the numbered control set (`reg export HKLM\SYSTEM`, an offline
    # hive): ControlSet001 is the only set, so it is read as CurrentControlSet.
    c["issue2-controlset001"] = dict(reg_only, **{"SCHANNEL-Protocols.reg": system_export_reg(("SSL 3.0", "TLS 1.0", "TLS 1.1"))})
    # Two sets; Select names ControlSet002, where TLS 1.0/1.1 are enabled: not the current set's
    # configuration, so not issue 2.
    c["issue2-controlset002-current"] = dict(reg_only, **{"SCHANNEL-Protocols.reg": system_export_reg(
        ("SSL 3.0", "TLS 1.0", "TLS 1.1"), select=2, other_set=(2, ()))})

    # No SCHANNEL export and no startup lines, but System.evtx holds Schannel 36871 with internal
    # error state 10013 at each refused import: the protocols import may use are disabled.
    no_sch = {k: v for k, v in reg_only.items() if k != "SCHANNEL-Protocols.reg"}
    c["issue2-schannel-event"] = dict(no_sch, **{"System.evtx": system_evtx("2020-09-01", [
        schannel_event(36871, "2020-09-01T09:12:40.371000Z", NO_CREDENTIAL),
        schannel_event(36871, "2020-09-01T09:12:41.398000Z", NO_CREDENTIAL)])})
    # The same without that event (a certificate alert instead): nothing says which protocols are off.
    c["issue2-schannel-other-event"] = dict(no_sch, **{"System.evtx": system_evtx("2020-09-01", [
        schannel_event(36887, "2020-09-01T09:12:40.371000Z", alert_received(48))])})

    # Receive-side Win32Exceptions: the error code decides when the text is in another language; a
    # different Win32Exception (LSA unreachable) is not the article's failure.
    c["issue2-error-code"] = dict(issue2, **{"SoftwareDistribution.log": utf8(log2.replace(RECV_ALGO, RECV_ALGO_CODE))})
    c["lookalike-lsa-unreachable"] = dict(issue2, **{"SoftwareDistribution.log": utf8(log2.replace(RECV_ALGO, RECV_LSA))})
    # No .NETFramework export (other .reg files remain): the import path's configuration is unknown.
    c["issue2-no-dotnet-export"] = {k: v for k, v in issue2.items() if k != "NETFramework.reg"}

    # Issue 3: 2012 R2, security-only updates, sync (WsusService) reset on send, no SCHANNEL startup lines.
    log3 = sd_log([sd_record("2020-08-03 06:00:00.417", "Info", "w3wp.7", "WebService.Startup", "WSUS startup")]
                  + sync_started("2020-08-03 06:30:00.100")
                  + [failure("2020-08-03 06:30:01.522", "WsusService.25", SEND_RESET, SEND_FRAMES),
                     failure("2020-08-03 06:30:33.870", "WsusService.25", SEND_RESET, SEND_FRAMES),
                     failure("2020-08-03 06:31:05.004", "WsusService.25", SEND_RESET_FINAL, SEND_FRAMES, final=True)]
                  + sync_failed("2020-08-03 06:31:05.090"))
    issue3 = base("2012r2", SECURITY_ONLY_2012R2, dotnet=dict(strong64=1, sdtv64=1))
    issue3["SoftwareDistribution.log"] = utf8(log3)
    c["issue3-2012r2-no-rollup"] = issue3
    c["issue3-capture"] = dict(issue3, **{"sync.pcap": capture("tls10_rst")})
    issue3_2012 = base("2012", ["KB2999226", "KB3172729", "KB4025343"], dotnet=ALL_ON, systeminfo_utf16=True)
    issue3_2012["SoftwareDistribution.log"] = utf8(log3)
    c["issue3-2012-no-rollup"] = issue3_2012
    # 2012 R2 without the rollup and with TLS 1.0/1.1 disabled: sync refuses on receive.
    log3r = sd_log([sd_record("2020-08-03 06:00:00.417", "Info", "w3wp.7", "WebService.Startup", "WSUS startup")]
                   + sync_started("2020-08-03 06:30:00.100")
                   + [failure("2020-08-03 06:30:01.522", "WsusService.25", RECV_ALGO, RECV_FRAMES),
                      failure("2020-08-03 06:30:33.870", "WsusService.25", RECV_ALGO, RECV_FRAMES, final=True)]
                   + sync_failed("2020-08-03 06:30:33.950"))
    refused = base("2012r2", SECURITY_ONLY_2012R2, dotnet=ALL_ON, schannel=("SSL 3.0", "TLS 1.0", "TLS 1.1"))
    refused["SoftwareDistribution.log"] = utf8(log3r)
    c["issue3-sync-refused"] = refused
    # Same log on 2012 R2 with the July 2017 Monthly Rollup installed: not issue 3.
    with_rollup = dict(issue3, **{"systeminfo.txt": ansi(systeminfo("2012r2", SECURITY_ONLY_2012R2 + [ROLLUP_2012R2]))})
    c["issue3-rollup-installed"] = with_rollup
    # Same log on 2016: issue 3 does not apply.
    c["issue3-on-2016"] = dict(base("2016", HOTFIX_2016, dotnet=ALL_ON), **{"SoftwareDistribution.log": utf8(log3)})
    c["issue3-no-updates-list"] = {k: v for k, v in issue3.items() if k != "systeminfo.txt"}

    # Issue 4: ConfigMgr Surface driver import; receive / common algorithm; TLS 1.0/1.1 off.
    log4 = sd_log(startup("2020-08-12 09:00:02", SCH_OLD_OFF)
                  + [failure("2020-08-12 10:14:22.771", "w3wp.31", RECV_ALGO, RECV_FRAMES),
                     failure("2020-08-12 10:14:23.198", "w3wp.31", RECV_ALGO, RECV_FRAMES)])
    wsync = wsyncmgr([
        ("10:14:21.990", "Calling ImportUpdateFromCatalogSite for driver update GUIDs"),
        ("10:14:22.805", "Generic exception : ImportUpdateFromCatalogSite failed. Arg = 001d4517-c586-4bb1-9e66-ed6ff8e8d34f. Error =The underlying connection was closed: An unexpected error occurred on a receive."),
        ("10:14:23.240", "Generic exception : ImportUpdateFromCatalogSite failed. Arg = 0037641d-bb9b-4530-9568-11e413223106. Error =The underlying connection was closed: An unexpected error occurred on a receive."),
        ("10:14:23.301", "Sync failed: UssCommunicationError: WebException: The underlying connection was closed: An unexpected error occurred on a receive.. Source: Microsoft.UpdateServices.Administration.AdminProxy.ImportUpdateFromCatalogSite"),
        ("10:14:23.320", "STATMSG: ID=6703 SEV=E LEV=M SOURCE=\"SMS Server\" COMP=\"SMS_WSUS_SYNC_MANAGER\" SYS=CM01.contoso.com SITE=PS1 PID=2012 TID=5468 GMTDATE=Wed Aug 12 14:14:23.320 2020 ISTR0=\"Microsoft.UpdateServices.Administration.WsusInvalidDataException\" ISTR1=\"\" ISTR2=\"\" ISTR3=\"\" ISTR4=\"\" ISTR5=\"\" ISTR6=\"\" ISTR7=\"\" ISTR8=\"\" ISTR9=\"\" NUMATTRS=0"),
    ])
    issue4 = base("2016", HOTFIX_2016, schannel=("SSL 3.0", "TLS 1.0", "TLS 1.1"))
    issue4["SoftwareDistribution.log"] = utf8(log4)
    issue4["wsyncmgr.log"] = ansi(wsync)
    c["issue4-surface-drivers"] = issue4
    c["issue4-wsyncmgr-only"] = {k: v for k, v in issue4.items() if k != "SoftwareDistribution.log"}
    c["issue4-fixed-registry"] = dict(issue4, **{"NETFramework.reg": dotnet_reg(**ALL_ON)})
    c["issue4-no-dotnet-export"] = {k: v for k, v in issue4.items() if k != "NETFramework.reg"}

    # Look-alike for issue 4: ConfigMgr sync fails because the proxy wants credentials.
    look4 = base("2016", HOTFIX_2016, proxy=("proxy.contoso.com", 8080))
    look4["SoftwareDistribution.log"] = utf8(sd_log([failure("2020-08-12 10:14:22.771", "w3wp.31", PROXY_407, [])]))
    look4["wsyncmgr.log"] = ansi(wsyncmgr([
        ("10:14:21.990", "Calling ImportUpdateFromCatalogSite for driver update GUIDs"),
        ("10:14:23.301", "Sync failed: UssCommunicationError: WebException: The remote server returned an error: (407) Proxy Authentication Required.. Source: Microsoft.UpdateServices.Administration.AdminProxy.ImportUpdateFromCatalogSite"),
    ]))
    c["lookalike-configmgr-proxy-407"] = look4

    # Issue 5: cipher suite GPO with no suite the endpoint accepts; sync reset on send.
    log5 = sd_log(startup("2020-08-12 05:55:40", SCH_DEFAULT) + sync_started("2020-08-12 06:00:00.050")
                  + [failure("2020-08-12 06:00:01.310", "WsusService.19", SEND_RESET, SEND_FRAMES),
                     failure("2020-08-12 06:00:33.402", "WsusService.19", SEND_RESET_FINAL, SEND_FRAMES, final=True)]
                  + sync_failed("2020-08-12 06:00:33.470", "WsusService.19"))
    issue5 = base("2016", HOTFIX_2016, dotnet=ALL_ON, policy=POLICY_NO_COMMON, gp=POLICY_NO_COMMON)
    issue5["SoftwareDistribution.log"] = utf8(log5)
    c["issue5-cipher-mismatch"] = issue5
    c["issue5-capture"] = dict(issue5, **{"sync.pcap": capture("tls12_nocommon_rst")})
    # Registry policy only (no gpresult settings): still decided from the Functions value.
    c["issue5-registry-only"] = dict(issue5, **{"gpresult.xml": gpresult(None)})
    # No policy; the local order (edited by a hardening tool) has none of the endpoint suites.
    local = base("2016", HOTFIX_2016, dotnet=ALL_ON)
    local["SoftwareDistribution.log"] = utf8(log5)
    local["CipherSuiteLocal.reg"] = reg_file([(
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002",
        [("Functions", hex7([x.replace("_P384", "").replace("_P256", "") for x in POLICY_NO_COMMON]))])])
    c["issue5-local-order"] = local
    # 2012 R2 with a rollup, policy lists _P256/_P384 names of endpoint suites: normalised, so no mismatch.
    ok2012 = base("2012r2", SECURITY_ONLY_2012R2 + [ROLLUP_2012R2], dotnet=ALL_ON, policy=POLICY_2012_OK, gp=POLICY_2012_OK)
    ok2012["SoftwareDistribution.log"] = utf8(log5.replace("SCHANNEL Protocols subkey for 'TLS 1.0' not found", "SCHANNEL Protocols subkey for 'TLS 1.0' not found"))
    c["issue5-suffixed-suites-ok"] = ok2012
    # 3 vs 5: 2012 R2 with the rollup and a bad cipher policy — issue 5, not 3.
    r3v5 = base("2012r2", SECURITY_ONLY_2012R2 + [ROLLUP_2012R2], dotnet=ALL_ON, policy=POLICY_NO_COMMON, gp=POLICY_NO_COMMON)
    r3v5["SoftwareDistribution.log"] = utf8(log5)
    c["issue5-on-2012r2-with-rollup"] = r3v5
    # 2012 R2 policy with only the ECDHE_RSA GCM and DHE suites: none of the CBC _P256/_P384 suites
    # 2012 R2 needs, so nothing in common with the endpoint.
    gcm = ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"]
    r2gcm = base("2012r2", SECURITY_ONLY_2012R2 + [ROLLUP_2012R2], dotnet=ALL_ON, policy=gcm, gp=gcm)
    r2gcm["SoftwareDistribution.log"] = utf8(log5)
    c["issue5-2012r2-gcm-only"] = r2gcm
    # No cipher-policy evidence at all (no gpresult, no policy export): unknown.
    c["issue5-no-policy-evidence"] = {k: v for k, v in issue5.items() if k not in ("gpresult.xml", "CipherSuitePolicy.reg")}
    # gpresult /x cut off (a collection error), no policy export: unknown, not "no policy".
    trunc = {k: v for k, v in issue5.items() if k != "CipherSuitePolicy.reg"}
    gp_text = trunc["gpresult.xml"][2:].decode("utf-16-le")
    trunc["gpresult.xml"] = b"\xff\xfe" + gp_text[:gp_text.index("<ExtensionData")].encode("utf-16-le")
    c["issue5-gpresult-truncated"] = trunc
    # No SoftwareDistribution.log, but System.evtx shows the endpoint answering with handshake_failure
    # (36887, alert 40) while the policy leaves no suite in common; an unknown_ca alert (48) is a
    # certificate problem, not this issue.
    no_log5 = {k: v for k, v in issue5.items() if k != "SoftwareDistribution.log"}
    c["issue5-schannel-alert"] = dict(no_log5, **{"System.evtx": system_evtx("2020-08-12", [
        schannel_event(36887, "2020-08-12T06:00:01.302000Z", alert_received(40)),
        schannel_event(36887, "2020-08-12T06:00:33.395000Z", alert_received(40))])})
    c["issue5-schannel-other-alert"] = dict(no_log5, **{"System.evtx": system_evtx("2020-08-12", [
        schannel_event(36887, "2020-08-12T06:00:01.302000Z", alert_received(48))])})
    # 1 vs 5: the reset is on the import path but .NET already uses TLS 1.2: it is the cipher policy.
    r1v5 = base("2016", HOTFIX_2016, dotnet=ALL_ON, policy=POLICY_NO_COMMON, gp=POLICY_NO_COMMON)
    r1v5["SoftwareDistribution.log"] = utf8(log1)
    c["issue5-import-path"] = r1v5

    # Endpoints.
    fe2_log = log1.replace("SWS", "").replace(SWS, FE2)
    c["endpoint-fe2"] = dict(base("2016", HOTFIX_2016, mu=FE2, dotnet=ALL_ON),
                             **{"SoftwareDistribution.log": utf8(sd_log(sync_started("2020-08-12 14:00:00.200") + sync_ok("2020-08-12 14:03:12.880")).replace(SWS, FE2))})
    c["endpoint-sws1"] = dict(base("2016", HOTFIX_2016, mu=SWS1, dotnet=ALL_ON),
                              **{"SoftwareDistribution.log": utf8(sd_log(sync_started("2020-08-12 14:00:00.200") + sync_ok("2020-08-12 14:03:12.880")).replace(SWS, SWS1))})
    fe2_in_log = base("2016", HOTFIX_2016, dotnet=ALL_ON)
    del fe2_in_log["wsus-config.json"]
    fe2_in_log["SoftwareDistribution.log"] = utf8(sd_log(sync_started("2020-08-12 14:00:00.200")).replace(SWS, FE2))
    c["endpoint-fe2-from-log"] = fe2_in_log
    del fe2_log

    # Look-alikes: none of the article's issues.
    for name, msg, proc in (("lookalike-cert-trust", TRUST, "WsusService.25"),
                            ("lookalike-name-resolution", NAME_RES, "WsusService.25"),
                            ("lookalike-proxy-407", PROXY_407, "w3wp.126"),
                            ("lookalike-proxy-refused", PROXY_REFUSED, "WsusService.25")):
        f = base("2012r2", SECURITY_ONLY_2012R2, proxy=("proxy.contoso.com", 8080) if "proxy" in name else None)
        f["SoftwareDistribution.log"] = utf8(sd_log(sync_started("2020-08-12 06:00:00.050")
                                                    + [failure("2020-08-12 06:00:01.310", proc, msg, []),
                                                       failure("2020-08-12 06:00:33.402", proc, msg, [], final=True)]))
        c[name] = f

    # Through a proxy: TLS 1.0 hello, the proxy ends with FIN.
    px = dict(issue3, **{"wsus-config.json": wsus_config("https://sws.update.microsoft.com", ("proxy.contoso.com", 8080)),
                         "sync.pcap": capture("proxy_tls10_fin")})
    c["proxy-tls10-fin"] = px

    # Saved live probes (`triage probe tls sws.update.microsoft.com --as-host`).
    c["issue2-probe"] = dict(issue2, **{"probe.json": probe_json([], [], "no_hello", False, "os_default", 17763)})
    c["issue5-probe"] = dict(issue5, **{"probe.json": probe_json(["TLS 1.2"], [x.replace("_P384", "").replace("_P256", "") for x in POLICY_NO_COMMON], "rst", False)})
    c["healthy-probe"] = dict(healthy_case(), **{"probe.json": probe_json(["TLS 1.2"], TLS12_DEFAULT, "server_hello", True, "os_default", 17763)})

    # Only the host's systeminfo and registry: no log, no configuration, no capture.
    c["host-facts-only"] = {k: v for k, v in base("2016", HOTFIX_2016).items()
                            if k in ("systeminfo.txt", "CurrentVersion.reg", "NETFramework.reg")}

    # Healthy.
    c["healthy"] = healthy_case()
    c["healthy-capture"] = dict(c["healthy"], **{"sync.pcap": capture("tls12_ok")})
    return c


def healthy_case():
    logh = sd_log(startup("2020-08-12 05:55:40", SCH_DEFAULT) + sync_started("2020-08-12 06:00:00.050")
                  + sync_ok("2020-08-12 06:04:10.330")
                  + [import_attempt("2020-08-12 09:30:00.101"),
                     sd_record("2020-08-12 09:30:02.412", "Info", "w3wp.126", "ImportUpdate.ImportUpdateFromCatalogSite",
                               "Update 4b2f6a1e-6c5f-4a5e-9c0f-2b1a7c4d9e31 imported")])
    healthy = base("2019", HOTFIX_2019, dotnet=ALL_ON)
    healthy["SoftwareDistribution.log"] = utf8(logh)
    return healthy


EXAMPLES_FROM = {
    "issue1-import-tls12": "issue1-import-tls12",
    "issue2-tls10-disabled": "issue2-tls10-disabled",
    "issue3-2012r2-no-rollup": "issue3-2012r2-no-rollup",
    "issue4-surface-drivers": "issue4-surface-drivers",
    "issue5-cipher-mismatch": "issue5-cipher-mismatch",
    "healthy": "healthy",
}


def main():
    all_cases = cases()
    for root in (CASES,):
        if os.path.isdir(root):
            shutil.rmtree(root)
    for name, files in sorted(all_cases.items()):
        for fname, data in files.items():
            write(os.path.join(CASES, name), fname, data)
    for ex, case in EXAMPLES_FROM.items():
        d = os.path.join(EXAMPLES, ex)
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f != "README.md":
                    os.remove(os.path.join(d, f))
        for fname, data in all_cases[case].items():
            write(d, fname, data)
    print("wrote %d cases and %d examples" % (len(all_cases), len(EXAMPLES_FROM)), file=sys.stderr)


if __name__ == "__main__":
    main()
