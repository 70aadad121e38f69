using System.Diagnostics;
using LocalTls.Host;
using LocalTls.StepCa;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Host;

/// <summary>Nothing of LocalTls outlives the AppHost: step-ca is Aspire's child process, which DCP ends with the AppHost.</summary>
public class AppHostLifetimeTests
{
    [Fact]
    public async Task Killing_the_apphost_ends_its_step_ca_so_the_next_run_gets_the_database_lock()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var apphost = Repository.Path("playground", "LocalTls.Playground.AppHost", "bin", "Debug", "net10.0", "LocalTls.Playground.AppHost.dll");
        Assert.True(File.Exists(apphost), $"{apphost} is built with the solution.");
        var start = new ProcessStartInfo("dotnet", [apphost, $"--Playground:CaStore={dir.Combine("caroot")}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Path("playground", "LocalTls.Playground.AppHost"),
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://localhost:{LoopbackPort.GetFree()}";
        start.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://localhost:{LoopbackPort.GetFree()}";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{LoopbackPort.GetFree()}";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment[StepCaProcess.ExecutableEnvironmentVariable] = StepCaBinary.Path;
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var dataDirectory = Path.Combine(dir.Combine("caroot"), "step-ca", "step-ca");
        try
        {
            int? stepCa = null;
            for (var attempt = 0; attempt < 240 && stepCa is null; attempt++)
            {
                await Task.Delay(500, ct);
                stepCa = StaleStepCa.FindHolder(dataDirectory);
            }

            Assert.True(stepCa is not null, "step-ca did not start under the AppHost within 2 minutes.");

            // As 'kill -9' would: no chance for the AppHost to clean up itself.
            process.Kill();
            int? left = stepCa;
            for (var attempt = 0; attempt < 120 && left is not null; attempt++)
            {
                await Task.Delay(500, ct);
                left = StaleStepCa.FindHolder(dataDirectory);
            }

            Assert.True(left is null, $"step-ca (PID {left}) outlived its AppHost by a minute.");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            if (StaleStepCa.FindHolder(dataDirectory) is { } orphan)
            {
                Process.GetProcessById(orphan).Kill();
            }
        }
    }

    [Fact]
    public async Task A_step_ca_left_over_on_the_same_data_directory_is_named_by_pid_with_what_to_do()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var store = new LocalTls.Pki.CaStore(dir.Combine("caroot"));
        var material = store.LoadOrCreate();
        // A step-ca from elsewhere (not Aspire's) already runs on the CA's data directory and holds Badger's lock.
        var dataDirectory = Path.Combine(store.Directory, "step-ca", "step-ca");
        var files = StepCaFiles.Write(StepCaLayout.Host(dataDirectory), new StepCaOptions { Address = $"127.0.0.1:{LoopbackPort.GetFree()}", DnsNames = ["127.0.0.1", "localhost"] }, material.WithoutRootKey());
        await using var stale = await StepCaProcess.StartAsync(files, executablePath: StepCaBinary.Path, cancellationToken: ct);

        var builder = Aspire.Hosting.Testing.DistributedApplicationTestingBuilder.Create();
        Aspire.Hosting.StepCaBuilderExtensions.WithCaStore(Aspire.Hosting.StepCaHostBuilderExtensions.WithExecutable(Aspire.Hosting.StepCaBuilderExtensions.AddStepCa(builder, "step-ca"), StepCaBinary.Path), store.Directory);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);

        var stopped = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text is "Exited" or "FailedToStart", ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        var problem = stopped.Snapshot.Properties.Single(p => p.Name == "localtls.problem").Value?.ToString();
        Assert.Contains($"PID {stale.ProcessId}", problem);
        Assert.Contains($"kill {stale.ProcessId}", problem);
        await app.StopAsync(ct);
    }
}
