# The project's commands for Windows workstations; mirrors run.sh.
#   ./run.ps1 example   generate a survey-like WDB table and merge it (outputs in example/)
#   ./run.ps1 test      run the test suite
#   ./run.ps1 publish [DIR]  the fast build of wdb for this machine, in DIR (default out/wdb): self-contained,
#                       one precompiled (ReadyToRun) image of the runtime and wdb (bench/NOTES.md 63)
#   ./run.ps1 bench     run the benchmark harness (needs bash: WSL or Git Bash)
param([Parameter(Position = 0)][string]$Verb = "", [Parameter(Position = 1)][string]$Dir = "out/wdb")
$ErrorActionPreference = "Stop"
# bench reads paths from the caller's directory (RESULTS_FILE, WDB_BIN, DATASETS' files): it runs from there.
$caller = (Get-Location).Path
Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"; $env:DOTNET_NOLOGO = "1"

function Wdb { dotnet run --project src/Wdb.Cli -c Release -- @args; if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE } }

switch ($Verb) {
  "example" {
    dotnet build src/Wdb.Cli -c Release -v quiet -nologo
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    Wdb gen survey --sources 50000 --seed 1 --out example/survey.csv
    Wdb merge example/survey.csv --out example/merged
    Wdb export example/merged --table groups --format csv --out example/groups.csv
    Write-Host "outputs: example/merged (FlatBuffers + summary.json), example/groups.csv"
  }
  "test" {
    # flatc, xxh128sum, STILTS and /usr/bin/python3 with numpy, scipy, astropy and pandas are optional on Windows: the
    # tests that need them are reported as skipped.
    dotnet test Wdb.sln -c Release --nologo
    exit $LASTEXITCODE
  }
  "publish" {
    # The machine's own runtime identifier (win-x64, win-arm64; linux-x64 or osx-arm64 where PowerShell 7 runs
    # there). Windows PowerShell 5.1 runs on .NET Framework, which has no RuntimeIdentifier.
    $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
    if (-not $rid) { $rid = if ($env:PROCESSOR_ARCHITECTURE -eq "ARM64") { "win-arm64" } else { "win-x64" } }
    dotnet publish src/Wdb.Cli -c Release -r $rid --self-contained true -o $Dir -nologo -v quiet
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    $exe = if ($rid -like "win-*") { "wdb.exe" } else { "wdb" }
    Write-Host "wdb: $(Join-Path $Dir $exe)"
  }
  "bench" { $bench = Join-Path $PSScriptRoot "bench/run.sh"; Set-Location $caller; bash $bench quick; exit $LASTEXITCODE }
  default { [Console]::Error.WriteLine("usage: ./run.ps1 example|test|publish [DIR]|bench"); exit 2 }
}
