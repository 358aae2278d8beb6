<#
.SYNOPSIS
    Gathers the files triage reads from a WSUS / Configuration Manager server into one folder,
    for servers where no new binary may run. Copy the folder (or the .zip) anywhere and run
    `triage run <folder>` there.

.DESCRIPTION
    Read-only: changes nothing on the server. Collects the same artifacts as `triage collect`:
    registry exports (64-bit and 32-bit views) of the keys the WSUS pack reads, the WSUS and
    ConfigMgr logs, w3wp.exe.config and WsusService.exe.config, systeminfo, gpresult /x, the WSUS
    configuration and the installed updates. Every step is best effort: what is missing is written
    to collection-errors.txt and the script goes on. Each external command has a time-out.
    Works with Windows PowerShell 5.1 (Windows Server 2012 R2 and later).

.PARAMETER OutputPath
    Folder to create. Default: .\triage-<COMPUTERNAME>-<yyyyMMdd-HHmmss>

.PARAMETER Zip
    Also write <OutputPath>.zip (Explorer opens it; triage reads the folder).

.PARAMETER TimeoutSeconds
    Time-out of each external command. Default: 120.

.EXAMPLE
    powershell -NoProfile -ExecutionPolicy Bypass -File .\Collect-Triage.ps1 -Zip
#>
[CmdletBinding()]
param(
    [string]$OutputPath = (Join-Path (Get-Location) ("triage-{0}-{1}" -f $env:COMPUTERNAME, (Get-Date -Format 'yyyyMMdd-HHmmss'))),
    [switch]$Zip,
    [int]$TimeoutSeconds = 120
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Continue'
$errors = New-Object System.Collections.Generic.List[string]
function Note([string]$where, [string]$what) { $errors.Add("${where}: $what") | Out-Null; Write-Warning "${where}: $what" }

New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
foreach ($d in 'registry', 'wsus\LogFiles', 'iis', 'configmgr', 'system', 'gpo') {
    New-Item -ItemType Directory -Force -Path (Join-Path $OutputPath $d) | Out-Null
}

# Runs a program with stdin from NUL and a time-out; stdout goes to $OutFile when given.
function Invoke-Bounded([string]$Exe, [string[]]$Arguments, [string]$OutFile, [string]$Label) {
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $Exe
    $psi.Arguments = ($Arguments | ForEach-Object { if ($_ -match '\s') { '"' + $_ + '"' } else { $_ } }) -join ' '
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.CreateNoWindow = $true
    try { $p = [System.Diagnostics.Process]::Start($psi) } catch { Note $Label "cannot run ${Exe}: $($_.Exception.Message)"; return }
    $p.StandardInput.Close()
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
        try { $p.Kill() } catch {}
        Note $Label "$Exe did not finish within $TimeoutSeconds s and was stopped"
        return
    }
    if ($p.ExitCode -ne 0) { Note $Label "$Exe ended with $($p.ExitCode): $($err.Result.Trim())"; return }
    if ($OutFile) { [System.IO.File]::WriteAllText($OutFile, $out.Result, [System.Text.Encoding]::Unicode) }
}

# 1. Registry: reg export writes UTF-16LE .reg files, as triage expects. /y: never prompt.
$keys = @(
    'HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL',
    'HKLM\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002',
    'HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002',
    'HKLM\SOFTWARE\Microsoft\.NETFramework\v2.0.50727',
    'HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319',
    'HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup',
    'HKLM\SOFTWARE\Microsoft\SMS\Identification',
    'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion',
    'HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName',
    'HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
)
$reg = Join-Path $env:SystemRoot 'System32\reg.exe'
$i = 0
foreach ($k in $keys) {
    $i++
    foreach ($view in '64', '32') {
        if ($view -eq '32' -and $k -notlike 'HKLM\SOFTWARE\*') { continue }
        $file = Join-Path $OutputPath ("registry\{0:D2}-{1}bit-{2}.reg" -f $i, $view, ($k -split '\\')[-1])
        Invoke-Bounded $reg @('export', $k, $file, '/y', "/reg:$view") $null "registry $k ($view-bit)"
    }
}

# 2. Logs and configuration files from their default places.
function Copy-Known([string]$From, [string]$To, [string]$Filter) {
    if (-not (Test-Path -LiteralPath $From)) { Note $To "$From not found"; return }
    $items = @(Get-ChildItem -LiteralPath $From -Filter $Filter -File -ErrorAction SilentlyContinue)
    if ($items.Count -eq 0) { Note $To "no $Filter in $From"; return }
    foreach ($it in $items) { Copy-Item -LiteralPath $it.FullName -Destination (Join-Path $OutputPath $To) -ErrorAction Continue }
}
$us = Join-Path $env:ProgramFiles 'Update Services'
Copy-Known (Join-Path $us 'LogFiles') 'wsus\LogFiles' 'SoftwareDistribution.log*'
Copy-Known (Join-Path $us 'LogFiles') 'wsus\LogFiles' 'Change.log'
Copy-Known (Join-Path $us 'Services') 'wsus' 'WsusService.exe.config'
Copy-Known (Join-Path $env:SystemRoot 'System32\inetsrv') 'iis' 'w3wp.exe.config'
$sms = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\SMS\Identification' -Name 'Installation Directory' -ErrorAction SilentlyContinue
if ($sms) {
    $logs = Join-Path $sms.'Installation Directory' 'Logs'
    foreach ($f in 'wsyncmgr*', 'WCM*') { Copy-Known $logs 'configmgr' $f }
} else { Note 'configmgr' 'no ConfigMgr installation directory in HKLM\SOFTWARE\Microsoft\SMS\Identification' }

# 3. Commands.
Invoke-Bounded (Join-Path $env:SystemRoot 'System32\systeminfo.exe') @() (Join-Path $OutputPath 'system\systeminfo.txt') 'systeminfo'
Invoke-Bounded (Join-Path $env:SystemRoot 'System32\gpresult.exe') @('/x', (Join-Path $OutputPath 'gpo\gpresult.xml'), '/f') $null 'gpresult'
try {
    Get-HotFix -ErrorAction Stop | Select-Object HotFixID, Description, InstalledOn |
        Export-Csv -NoTypeInformation -Path (Join-Path $OutputPath 'system\hotfixes.csv')
} catch { Note 'hotfixes' $_.Exception.Message }
try {
    Import-Module UpdateServices -ErrorAction Stop
    (Get-WsusServer -ErrorAction Stop).GetConfiguration() | ConvertTo-Json -Depth 2 |
        Out-File -Encoding utf8 -FilePath (Join-Path $OutputPath 'wsus\wsus-config.json')
} catch { Note 'wsus-config' "WSUS configuration: $($_.Exception.Message)" }

# 4. What could not be collected, then the optional archive.
$errors | Out-File -Encoding utf8 -FilePath (Join-Path $OutputPath 'collection-errors.txt')
if ($Zip) {
    try {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zipPath = "$OutputPath.zip"
        $tmp = "$zipPath.partial"
        if (Test-Path -LiteralPath $tmp) { Remove-Item -LiteralPath $tmp -Force }
        [System.IO.Compression.ZipFile]::CreateFromDirectory($OutputPath, $tmp)
        Move-Item -LiteralPath $tmp -Destination $zipPath -Force
        Write-Host "wrote $zipPath"
    } catch { Write-Warning "zip: $($_.Exception.Message)" }
}
Write-Host ("collected into {0} ({1} problem(s), see collection-errors.txt)" -f $OutputPath, $errors.Count)
