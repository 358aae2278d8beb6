<#
.SYNOPSIS
    Gathers the files triage reads from a WSUS / Configuration Manager server into one folder and
    one .zip, for servers where triage.exe may not run. Copy the .zip anywhere and run
    `triage run <file>.zip` there.

.DESCRIPTION
    Read-only: changes nothing on the server. Collects exactly what `triage collect` collects
    (docs/collecting.md lists it; scripts/collect-triage-layout.txt is the list the tests use):

      registry\hklm-64bit.reg   the registry keys the WSUS pack reads, value by value, 64-bit view
      registry\hklm-32bit.reg   the same keys under SOFTWARE in the 32-bit view, written under
                                SOFTWARE\WOW6432Node as regedit shows them
      wsus\LogFiles\...         SoftwareDistribution.log (and rotated copies), Change.log
      wsus\WsusService.exe.config, iis\w3wp.exe.config (when present: its absence is normal)
      configmgr\...             wsyncmgr*.log and WCM*.log, when ConfigMgr is installed
      system\systeminfo.txt, system\hotfixes.csv, gpo\gpresult.xml (gpresult /scope computer /x),
      wsus\wsus-config.json
      collection-errors.txt     every step that failed, one per line; triage shows them as
                                collection errors

    Only a key's own values are read, and only the subkeys of the keys marked with \* (SCHANNEL
    and WSUS setup), never a parent's whole subtree: Winlogon (and its DefaultPassword) is never
    read. Every step is best effort and has a time-out; what fails is recorded and the script goes
    on. Needs an elevated prompt (Run as administrator). Needs Windows PowerShell 3.0 or later
    (Windows Server 2012 ships 3.0, 2012 R2 4.0) and .NET Framework 4.5 (built into Server 2012)
    for the zip; it uses nothing newer (scripts/powershell-3.0-forbidden.txt, checked in CI).

.PARAMETER OutputPath
    Folder to create (relative paths are taken from the current location). Default:
    triage-<COMPUTERNAME>-<yyyyMMdd-HHmmss> in the current location, or on the Desktop when the
    current location is under the Windows folder (as it is in a fresh elevated prompt).

.PARAMETER NoZip
    Do not write <OutputPath>.zip beside the folder.

.PARAMETER TimeoutSeconds
    Time-out of each external command and PowerShell step. Default: 120.

.EXAMPLE
    powershell -NoProfile -ExecutionPolicy Bypass -File .\Collect-Triage.ps1
#>
[CmdletBinding()]
param(
    [string]$OutputPath = '',
    [switch]$NoZip,
    [int]$TimeoutSeconds = 120
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ScriptVersion = '2'

# ---- elevation: the registry keys, logs and gpresult need an administrator ----
$principal = New-Object Security.Principal.WindowsPrincipal ([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    [Console]::Error.WriteLine('Collect-Triage.ps1 must run as Administrator: open Windows PowerShell with "Run as administrator" and run it again. Nothing was collected.')
    exit 1
}

# ---- where to write: an absolute path, resolved before any [IO.File] call ----
try {
    if ($OutputPath -eq '') {
        $parent = (Get-Location).ProviderPath
        if ($parent.StartsWith($env:SystemRoot, [StringComparison]::OrdinalIgnoreCase)) {
            $parent = [Environment]::GetFolderPath('Desktop')
        }
        $stamp = Get-Date -Format 'yyyyMMdd-HHmmss'
        $OutputPath = Join-Path $parent ('triage-{0}-{1}' -f $env:COMPUTERNAME, $stamp)
    }
    $OutputPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
    if (Test-Path -LiteralPath $OutputPath) {
        [Console]::Error.WriteLine("Collect-Triage.ps1: $OutputPath already exists; choose another -OutputPath. Nothing was collected.")
        exit 1
    }
    New-Item -ItemType Directory -Path $OutputPath | Out-Null
} catch {
    [Console]::Error.WriteLine("Collect-Triage.ps1: cannot create the output folder ${OutputPath}: $($_.Exception.Message)")
    exit 1
}

# Every failed step: `<artifact or step><TAB><message>`, written to collection-errors.txt.
$script:Problems = New-Object System.Collections.Generic.List[string]
function Add-Problem([string]$Artifact, [string]$Message) {
    $one = ($Message -replace '[\r\n\t]+', ' ').Trim()
    $script:Problems.Add("$Artifact`t$one")
    Write-Warning "${Artifact}: $one"
}

function Out-Path([string]$Rel) {
    $full = Join-Path $OutputPath ($Rel -replace '/', '\')
    $dir = Split-Path -Parent $full
    if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir | Out-Null }
    return $full
}

# ---- 1. registry: the keys of `triage collect` (collectors/src/live, DEFAULT_REGISTRY_KEYS) ----
# A key ending in \* is read with its subkeys; the others, their own values only.
$RegistryKeys = @(
    'SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\*',
    'SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002',
    'SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002',
    'SOFTWARE\Microsoft\.NETFramework\v2.0.50727',
    'SOFTWARE\Microsoft\.NETFramework\v4.0.30319',
    'SOFTWARE\Microsoft\Update Services\Server\Setup\*',
    'SOFTWARE\Microsoft\SMS\Identification',
    'SOFTWARE\Microsoft\Windows NT\CurrentVersion',
    'SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName',
    'SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
)
$MaxKeys = 20000
$MaxDepth = 16

function Format-RegString([string]$s) {
    return '"' + ($s -replace '\\', '\\' -replace '"', '\"') + '"'
}

# `name=tag:aa,bb,...` wrapped as regedit wraps it (lines end with `,\` before column 80).
function Format-RegHex([string]$Name, [string]$Tag, [byte[]]$Data) {
    $sb = New-Object System.Text.StringBuilder
    $line = "$Name=${Tag}:"
    for ($i = 0; $i -lt $Data.Length; $i++) {
        $item = '{0:x2}' -f $Data[$i]
        if ($i + 1 -lt $Data.Length) { $item += ',' }
        if (($line.Length + $item.Length) -gt 77 -and $i -gt 0) {
            [void]$sb.Append($line).Append("\`r`n")
            $line = '  '
        }
        $line += $item
    }
    [void]$sb.Append($line).Append("`r`n")
    return $sb.ToString()
}

function Get-Utf16z([string[]]$Strings, [bool]$Multi) {
    $bytes = New-Object System.Collections.Generic.List[byte]
    foreach ($s in $Strings) {
        $bytes.AddRange([Text.Encoding]::Unicode.GetBytes($s))
        $bytes.Add(0); $bytes.Add(0)
    }
    if ($Multi) { $bytes.Add(0); $bytes.Add(0) }
    return ,$bytes.ToArray()
}

function Format-RegValue([Microsoft.Win32.RegistryKey]$Key, [string]$ValueName) {
    $name = if ($ValueName -eq '') { '@' } else { Format-RegString $ValueName }
    $kind = $Key.GetValueKind($ValueName)
    $data = $Key.GetValue($ValueName, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    switch ($kind) {
        'String' { return "$name=$(Format-RegString ([string]$data))`r`n" }
        'DWord' {
            $u = [BitConverter]::ToUInt32([BitConverter]::GetBytes([int32]$data), 0)
            return ('{0}=dword:{1:x8}' -f $name, $u) + "`r`n"
        }
        'QWord' { return Format-RegHex $name 'hex(b)' ([BitConverter]::GetBytes([int64]$data)) }
        'ExpandString' { return Format-RegHex $name 'hex(2)' (Get-Utf16z @([string]$data) $false) }
        'MultiString' { return Format-RegHex $name 'hex(7)' (Get-Utf16z ([string[]]$data) $true) }
        'Binary' { return Format-RegHex $name 'hex' ([byte[]]$data) }
        'None' {
            if ($null -eq $data) { $data = New-Object byte[] 0 }
            return Format-RegHex $name 'hex(0)' ([byte[]]$data)
        }
        default { throw "value type $kind is not supported" }
    }
}

# Appends `[path]` and its values (and, when $Recurse, its subkeys') to $Out.
function Export-RegKey([Microsoft.Win32.RegistryKey]$Key, [string]$Shown, [bool]$Recurse, [int]$Depth, [System.Text.StringBuilder]$Out, [string]$Artifact) {
    $script:KeyCount++
    [void]$Out.Append("[$Shown]`r`n")
    $names = @()
    try { $names = @($Key.GetValueNames() | Sort-Object) } catch { Add-Problem $Artifact "${Shown}: values: $($_.Exception.Message)" }
    foreach ($n in $names) {
        try { [void]$Out.Append((Format-RegValue $Key $n)) } catch { Add-Problem $Artifact "$Shown\${n}: $($_.Exception.Message)" }
    }
    [void]$Out.Append("`r`n")
    if (-not $Recurse) { return }
    if ($Depth -ge $MaxDepth -or $script:KeyCount -ge $MaxKeys) {
        Add-Problem $Artifact "${Shown}: subkeys not followed (depth or key limit)"
        return
    }
    $subkeys = @()
    try { $subkeys = @($Key.GetSubKeyNames() | Sort-Object) } catch { Add-Problem $Artifact "${Shown}: subkeys: $($_.Exception.Message)" }
    foreach ($s in $subkeys) {
        try {
            $sub = $Key.OpenSubKey($s, $false)
            if ($null -eq $sub) { Add-Problem $Artifact "$Shown\${s}: cannot be opened"; continue }
            try { Export-RegKey $sub "$Shown\$s" $true ($Depth + 1) $Out $Artifact } finally { $sub.Close() }
        } catch { Add-Problem $Artifact "$Shown\${s}: $($_.Exception.Message)" }
    }
}

foreach ($view in @(@('Registry64', '64-bit', 'registry/hklm-64bit.reg'), @('Registry32', '32-bit', 'registry/hklm-32bit.reg'))) {
    $artifact = $view[2]
    try {
        $script:KeyCount = 0
        $out = New-Object System.Text.StringBuilder
        [void]$out.Append("Windows Registry Editor Version 5.00`r`n`r`n")
        $exported = 0
        $hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, ([Microsoft.Win32.RegistryView]($view[0])))
        foreach ($k in $RegistryKeys) {
            $recurse = $k.EndsWith('\*')
            $sub = if ($recurse) { $k.Substring(0, $k.Length - 2) } else { $k }
            $inSoftware = $sub.StartsWith('SOFTWARE\', [StringComparison]::OrdinalIgnoreCase)
            # SYSTEM is one key in both views: it is read once, in the 64-bit file.
            if ($view[0] -eq 'Registry32' -and -not $inSoftware) { continue }
            $shown = if ($view[0] -eq 'Registry32') { 'HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\' + $sub.Substring(9) } else { "HKEY_LOCAL_MACHINE\$sub" }
            try {
                $key = $hklm.OpenSubKey($sub, $false)
                if ($null -eq $key) { Add-Problem $artifact "HKEY_LOCAL_MACHINE\$sub ($($view[1]) view): not found"; continue }
                try { Export-RegKey $key $shown $recurse 0 $out $artifact; $exported++ } finally { $key.Close() }
            } catch { Add-Problem $artifact "HKEY_LOCAL_MACHINE\$sub ($($view[1]) view): $($_.Exception.Message)" }
        }
        $hklm.Close()
        if ($exported -gt 0) {
            # UTF-16LE with a BOM and CRLF, as `reg export` writes.
            [IO.File]::WriteAllText((Out-Path $artifact), $out.ToString(), [Text.Encoding]::Unicode)
        }
    } catch { Add-Problem $artifact $_.Exception.Message }
}

# ---- 2. files from their default places ----
function Copy-Matching([string]$From, [string]$RelDir, [string[]]$Patterns) {
    try {
        if (-not (Test-Path -LiteralPath $From -PathType Container)) { Add-Problem $RelDir "${From}: not found"; return }
        $files = @(Get-ChildItem -LiteralPath $From -File | Where-Object {
            $n = $_.Name; @($Patterns | Where-Object { $n -like $_ }).Count -gt 0 } | Sort-Object Name)
        if ($files.Count -eq 0) { Add-Problem $RelDir "${From}: no matching files"; return }
        foreach ($f in $files) {
            try { Copy-Item -LiteralPath $f.FullName -Destination (Out-Path "$RelDir/$($f.Name)") }
            catch { Add-Problem "$RelDir/$($f.Name)" "$($f.FullName): $($_.Exception.Message)" }
        }
    } catch { Add-Problem $RelDir "${From}: $($_.Exception.Message)" }
}

function Copy-One([string]$From, [string]$Rel, [bool]$Optional) {
    try {
        if (-not (Test-Path -LiteralPath $From -PathType Leaf)) {
            if (-not $Optional) { Add-Problem $Rel "${From}: not found" }
            return
        }
        Copy-Item -LiteralPath $From -Destination (Out-Path $Rel)
    } catch { Add-Problem $Rel "${From}: $($_.Exception.Message)" }
}

$us = Join-Path $env:ProgramFiles 'Update Services'
Copy-Matching (Join-Path $us 'LogFiles') 'wsus/LogFiles' @('SoftwareDistribution*', 'Change.log')
Copy-One (Join-Path $us 'Services\WsusService.exe.config') 'wsus/WsusService.exe.config' $false
# Most servers have no w3wp.exe.config (it is only made to set .NET switches): not an error.
Copy-One (Join-Path $env:SystemRoot 'System32\inetsrv\w3wp.exe.config') 'iis/w3wp.exe.config' $true
try {
    $hklm64 = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    $sms = $hklm64.OpenSubKey('SOFTWARE\Microsoft\SMS\Identification', $false)
    $dir = $null
    if ($null -ne $sms) { $dir = $sms.GetValue('Installation Directory'); $sms.Close() }
    $hklm64.Close()
    if ($dir) { Copy-Matching (Join-Path $dir 'Logs') 'configmgr' @('wsyncmgr*', 'WCM*') }
    else { Add-Problem 'configmgr' 'ConfigMgr log folder: HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SMS\Identification\Installation Directory: not found' }
} catch { Add-Problem 'configmgr' "ConfigMgr log folder: $($_.Exception.Message)" }

# ---- 3. commands: stdin from an empty file, stdout to a file, a time-out ----
$script:EmptyInput = Join-Path $OutputPath 'stdin.tmp'
try { [IO.File]::WriteAllText($script:EmptyInput, '') } catch { Add-Problem 'commands' "cannot create ${script:EmptyInput}: $($_.Exception.Message)" }

function Invoke-Bounded([string]$Exe, [string[]]$Arguments, [string]$Rel, [string]$StdoutTo) {
    $errFile = Join-Path $OutputPath 'stderr.tmp'
    try {
        $quoted = @($Arguments | ForEach-Object { if ($_ -match '\s') { '"' + $_ + '"' } else { $_ } })
        $start = @{
            FilePath = $Exe; NoNewWindow = $true; PassThru = $true
            RedirectStandardInput = $script:EmptyInput; RedirectStandardOutput = $StdoutTo; RedirectStandardError = $errFile
        }
        # (Start-Process refuses an empty -ArgumentList.)
        if ($quoted.Count -gt 0) { $start['ArgumentList'] = $quoted }
        $p = Start-Process @start
        $null = $p.Handle  # keeps the exit code readable after the process ends
        if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
            try { $p.Kill() } catch { }
            Add-Problem $Rel "$Exe did not finish within $TimeoutSeconds s and was stopped"
            return $false
        }
        $p.WaitForExit()
        if ($p.ExitCode -ne 0) {
            $tail = ''
            if (Test-Path -LiteralPath $errFile) { $tail = ([IO.File]::ReadAllText($errFile)).Trim() }
            Add-Problem $Rel "$Exe ended with $($p.ExitCode): $tail"
            return $false
        }
        return $true
    } catch {
        Add-Problem $Rel "cannot run ${Exe}: $($_.Exception.Message)"
        return $false
    } finally {
        if (Test-Path -LiteralPath $errFile) { Remove-Item -LiteralPath $errFile -Force -ErrorAction SilentlyContinue }
    }
}

$system32 = Join-Path $env:SystemRoot 'System32'
$sysinfo = Out-Path 'system/systeminfo.txt'
if (-not (Invoke-Bounded (Join-Path $system32 'systeminfo.exe') @() 'system/systeminfo.txt' $sysinfo)) {
    Remove-Item -LiteralPath $sysinfo -Force -ErrorAction SilentlyContinue
}
$gpxml = Out-Path 'gpo/gpresult.xml'
$gpout = Join-Path $OutputPath 'gpresult.stdout.tmp'
if (-not (Invoke-Bounded (Join-Path $system32 'gpresult.exe') @('/scope', 'computer', '/x', $gpxml, '/f') 'gpo/gpresult.xml' $gpout)) {
    Remove-Item -LiteralPath $gpxml -Force -ErrorAction SilentlyContinue
}
Remove-Item -LiteralPath $gpout -Force -ErrorAction SilentlyContinue

# PowerShell steps run as jobs, so they have a time-out too.
function Invoke-Step([string]$Rel, [scriptblock]$Block) {
    try {
        $job = Start-Job -ScriptBlock $Block
        if (-not (Wait-Job -Job $job -Timeout $TimeoutSeconds)) {
            Stop-Job -Job $job
            Remove-Job -Job $job -Force
            Add-Problem $Rel "did not finish within $TimeoutSeconds s and was stopped"
            return
        }
        $text = (Receive-Job -Job $job -ErrorAction Stop) -join "`r`n"
        Remove-Job -Job $job -Force
        if ($text.Trim() -eq '') { Add-Problem $Rel 'produced no output'; return }
        [IO.File]::WriteAllText((Out-Path $Rel), $text + "`r`n", (New-Object Text.UTF8Encoding $true))
    } catch { Add-Problem $Rel $_.Exception.Message }
}

Invoke-Step 'wsus/wsus-config.json' {
    Import-Module UpdateServices -ErrorAction Stop
    (Get-WsusServer -ErrorAction Stop).GetConfiguration() | ConvertTo-Json -Depth 2
}
Invoke-Step 'system/hotfixes.csv' {
    Get-HotFix -ErrorAction Stop | Select-Object -Property @('HotFixID', 'Description', 'InstalledOn') | ConvertTo-Csv -NoTypeInformation
}
Remove-Item -LiteralPath $script:EmptyInput -Force -ErrorAction SilentlyContinue

# ---- 4. what could not be collected, then the zip ----
$errorsFile = Join-Path $OutputPath 'collection-errors.txt'
try {
    $header = "# triage collection errors: Collect-Triage.ps1 $ScriptVersion, PowerShell $($PSVersionTable.PSVersion), $env:COMPUTERNAME"
    $lines = @($header) + @($script:Problems)
    [IO.File]::WriteAllText($errorsFile, (($lines -join "`r`n") + "`r`n"), (New-Object Text.UTF8Encoding $true))
} catch { Write-Warning "collection-errors.txt: $($_.Exception.Message)" }

$zipPath = "$OutputPath.zip"
if (-not $NoZip) {
    try {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $partial = "$zipPath.partial"
        if (Test-Path -LiteralPath $partial) { Remove-Item -LiteralPath $partial -Force }
        [IO.Compression.ZipFile]::CreateFromDirectory($OutputPath, $partial, [IO.Compression.CompressionLevel]::Optimal, $false)
        Move-Item -LiteralPath $partial -Destination $zipPath -Force
    } catch {
        Write-Warning "zip: $($_.Exception.Message) (copy the folder instead)"
        $zipPath = $null
    }
}
Write-Host ("collected into {0} ({1} problem(s), listed in collection-errors.txt)" -f $OutputPath, $script:Problems.Count)
if ($zipPath -and -not $NoZip) { Write-Host "copy this file to the machine with triage: $zipPath" }
