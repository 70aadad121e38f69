// Issues N certificates with our ACME client and N with lego against one real step-ca (sequentially, same
// challenge type), and prints both wall times and the ratio ours/lego. Loopback only. The names avoid a digit
// right after a '-' ("ours-0.127.0.0.1.sslip.io" reads as 0.127.0.0 the way sslip.io matches, so it does not resolve).
// Usage: dotnet run -c Release --project bench/LocalTls.Bench -- [--count 20] [--challenge http-01|dns-01]
//        dotnet run -c Release --project bench/LocalTls.Bench -- cluster [--certificates 50]   (see ClusterBench.cs)
using System.Diagnostics;
using System.Net;
using LocalTls.Acme;
using LocalTls.Pki;
using LocalTls.Sslip;
using LocalTls.StepCa;

if (args is ["cluster", .. var clusterArgs])
{
    return await LocalTls.Bench.ClusterBench.RunAsync(clusterArgs);
}

var count = 20;
var challenge = AcmeChallengeTypes.Http01;
string? logPath = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--count" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            count = n;
            i++;
            break;
        case "--step-ca-log" when i + 1 < args.Length:
            logPath = Path.GetFullPath(args[++i]);
            break;
        case "--challenge" when i + 1 < args.Length && args[i + 1] is AcmeChallengeTypes.Http01 or AcmeChallengeTypes.Dns01:
            challenge = args[++i];
            break;
        default:
            Console.Error.WriteLine($"error: unknown argument '{args[i]}'. Usage: [--count 20] [--challenge http-01|dns-01] [--step-ca-log FILE]");
            return 2;
    }
}

var lego = FindOnPath("lego");
if (lego is null)
{
    Console.Error.WriteLine("error: lego is not on PATH: apt-get install lego");
    return 3;
}

string stepCa;
try
{
    stepCa = StepCaProcess.LocateExecutable();
}
catch (StepCaException)
{
    stepCa = FindRepoStepCa() ?? throw new InvalidOperationException("No step-ca: run eng/build-step-ca.sh or set LOCALTLS_STEP_CA.");
}

if (challenge == AcmeChallengeTypes.Http01 && !Http01ChallengeServer.CanBind(null, out var bindError))
{
    Console.Error.WriteLine($"error: {bindError}");
    return 3;
}

var work = Directory.CreateTempSubdirectory("localtls-bench-").FullName;
try
{
    var material = CaGenerator.Create();
    var port = LoopbackPort.GetFree();
    var files = StepCaFiles.Write(StepCaLayout.Host(Path.Combine(work, "step-ca")), new StepCaOptions { Address = $"127.0.0.1:{port}", DnsNames = ["127.0.0.1", "localhost"] }, material);
    await using var dns = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
    await using var ca = await StepCaProcess.StartAsync(new StepCaProcessOptions { Layout = files.Layout, ExecutablePath = stepCa, Resolver = $"127.0.0.1:{dns.Port}", OnLog = logPath is null ? null : line => Log(logPath, line.Text) });
    var directory = new Uri($"https://127.0.0.1:{port}/acme/acme/directory");
    Console.WriteLine($"step-ca {stepCa} on 127.0.0.1:{port} (resolver 127.0.0.1:{dns.Port}); {count} certificates each, {challenge}, sequential.");

    var options = new AcmeIssueOptions
    {
        DirectoryUrl = directory,
        Client = new AcmeClientOptions { TrustedRootsPem = material.RootCertificatePem },
        CaRoot = Path.Combine(work, "caroot"),
        Timeout = TimeSpan.FromSeconds(30),
    };

    async Task<AcmeCertificate> OursAsync(string name)
    {
        if (challenge == AcmeChallengeTypes.Dns01)
        {
            return await AcmeIssuance.IssueAsync([name], new Dns01ChallengeSolver(dns), options);
        }

        await using var http = Http01ChallengeServer.Start();
        return await AcmeIssuance.IssueAsync([name], http, options);
    }

    var legoPath = Path.Combine(work, "lego");
    string[] legoSolver = challenge == AcmeChallengeTypes.Http01
        ? ["--http", "--http.port", "127.0.0.1:80"]
        : ["--dns", "exec", "--dns.resolvers", $"127.0.0.1:{dns.Port}", "--dns.disable-cp"];
    async Task LegoAsync(string name)
    {
        var info = new ProcessStartInfo(lego) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in (string[])["--server", directory.AbsoluteUri, "--email", "bench@example.com", "--accept-tos", "--domains", name, .. legoSolver, "--path", legoPath, "run"])
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["LEGO_CA_CERTIFICATES"] = files.Layout.RootCertificatePath;
        if (challenge == AcmeChallengeTypes.Dns01)
        {
            // lego's exec provider runs this for "present" and "cleanup"; it sets the TXT record in our DNS server
            // through a tiny line protocol served below.
            info.Environment["EXEC_PATH"] = ExecScript.Path;
            info.Environment["EXEC_PROPAGATION_TIMEOUT"] = "10";
            info.Environment["EXEC_POLLING_INTERVAL"] = "1";
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"lego for {name} did not finish in 60 s: {await stderr}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"lego for {name} exited with {process.ExitCode}: {await stdout}{await stderr}");
        }
    }

    if (challenge == AcmeChallengeTypes.Dns01)
    {
        ExecScript.Start(work, dns);
    }

    // Warm-up, not timed: JIT for ours, account registration for both.
    await OursAsync("warm-ours.127.0.0.1.sslip.io");
    await LegoAsync("warm-lego.127.0.0.1.sslip.io");

    var ours = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        await OursAsync($"ours{i}x.127.0.0.1.sslip.io");
    }

    ours.Stop();
    var legoTime = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        await LegoAsync($"lego{i}x.127.0.0.1.sslip.io");
    }

    legoTime.Stop();
    var ratio = ours.Elapsed / legoTime.Elapsed;
    Console.WriteLine($"ours: {count} certificates in {ours.Elapsed.TotalSeconds:0.000} s ({ours.Elapsed.TotalMilliseconds / count:0.0} ms each)");
    Console.WriteLine($"lego: {count} certificates in {legoTime.Elapsed.TotalSeconds:0.000} s ({legoTime.Elapsed.TotalMilliseconds / count:0.0} ms each)");
    Console.WriteLine($"ratio ours/lego: {ratio:0.000} (target <= 0.5: {(ratio <= 0.5 ? "met" : "NOT met")})");
    return 0;
}
finally
{
    ExecScript.Stop();
    try
    {
        Directory.Delete(work, recursive: true);
    }
    catch (IOException)
    {
    }
}

static void Log(string path, string line)
{
    lock (typeof(ExecScript))
    {
        File.AppendAllText(path, line + Environment.NewLine);
    }
}

static string? FindOnPath(string name) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

static string? FindRepoStepCa()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, ".tools", "bin", "step-ca");
        if (File.Exists(Path.Combine(dir.FullName, "LocalTls.sln")) && File.Exists(candidate))
        {
            return candidate;
        }
    }

    return null;
}

/// <summary>
/// For lego's dns-01 "exec" provider: a shell script that sends "present|cleanup NAME VALUE" to a loopback TCP
/// port, where this process sets or removes the TXT record in the SslipDnsServer.
/// </summary>
internal static class ExecScript
{
    private static System.Net.Sockets.TcpListener? listener;
    private static CancellationTokenSource? stop;

    public static string Path { get; private set; } = "";

    public static void Start(string work, SslipDnsServer dns)
    {
        listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Path = System.IO.Path.Combine(work, "lego-exec.sh");
        // lego calls: EXEC_PATH present|cleanup FQDN VALUE (FQDN is "_acme-challenge.NAME.").
        File.WriteAllText(Path, $"#!/bin/bash\nexec 3<>/dev/tcp/127.0.0.1/{port}\necho \"$1 $2 $3\" >&3\nread -r reply <&3\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        stop = new CancellationTokenSource();
        var token = stop.Token;
        _ = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    using var client = await listener.AcceptTcpClientAsync(token);
                    using var stream = client.GetStream();
                    using var reader = new StreamReader(stream);
                    using var writer = new StreamWriter(stream) { AutoFlush = true };
                    var parts = ((await reader.ReadLineAsync(token)) ?? "").Split(' ');
                    if (parts.Length == 3)
                    {
                        if (parts[0] == "present")
                        {
                            dns.SetTxt(parts[1], parts[2]);
                        }
                        else if (parts[0] == "cleanup")
                        {
                            dns.RemoveTxt(parts[1], parts[2]);
                        }
                    }

                    await writer.WriteLineAsync("ok");
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException)
                {
                }
            }
        }, token);
    }

    public static void Stop()
    {
        stop?.Cancel();
        listener?.Stop();
    }
}
