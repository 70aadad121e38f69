using LocalTls.StepCa;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.StepCa;

/// <summary>The harness's own logic, with stand-in executables and without step-ca.</summary>
public class StepCaProcessHarnessTests
{
    private static StepCaFileSet WriteLayout(TempDirectory temp) =>
        StepCaFiles.Write(StepCaLayout.Host(temp.Path), new StepCaOptions { Address = "127.0.0.1:9", DnsNames = ["127.0.0.1"] }, TestCa.Default);

    private static string Script(TempDirectory temp, string body)
    {
        var path = Path.Combine(temp.Path, "fake-step-ca");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void A_missing_explicit_path_says_how_to_get_step_ca()
    {
        var e = Assert.Throws<StepCaException>(() => StepCaProcess.LocateExecutable("/nonexistent/step-ca"));
        Assert.Contains("'/nonexistent/step-ca'", e.Message);
        Assert.DoesNotContain("eng/", e.Message); // a package user has no repository scripts
        Assert.Contains("WithExecutable", e.Message);
        Assert.Contains("go install github.com/smallstep/certificates/cmd/step-ca", e.Message);
        Assert.Contains("brew install step", e.Message);
    }

    [Fact]
    public void Lookup_goes_environment_variable_then_path()
    {
        using var temp = new TempDirectory("stepca-locate");
        var onPath = Path.Combine(temp.Path, "step-ca");
        File.WriteAllText(onPath, "");
        var named = Path.Combine(temp.Path, "named-step-ca");
        File.WriteAllText(named, "");

        Assert.Equal(named, StepCaProcess.LocateExecutable(null, v => v == "LOCALTLS_STEP_CA" ? named : v == "PATH" ? temp.Path : null));
        Assert.Equal(onPath, StepCaProcess.LocateExecutable(null, v => v == "PATH" ? "/nonexistent" + Path.PathSeparator + temp.Path : null));

        var badVariable = Assert.Throws<StepCaException>(() => StepCaProcess.LocateExecutable(null, v => v == "LOCALTLS_STEP_CA" ? "/nonexistent/step-ca" : temp.Path));
        Assert.Contains("the path LOCALTLS_STEP_CA names", badVariable.Message);

        var none = Assert.Throws<StepCaException>(() => StepCaProcess.LocateExecutable(null, v => v == "PATH" ? "/nonexistent" : null));
        Assert.Contains("LOCALTLS_STEP_CA is not set and no 'step-ca' is on PATH", none.Message);
        Assert.Contains("WithExecutable(path)", none.Message);
    }

    [Fact]
    public async Task An_early_exit_reports_the_code_and_the_last_lines()
    {
        using var temp = new TempDirectory("stepca-exit");
        var files = WriteLayout(temp);
        var fake = Script(temp, "echo 'starting up'\necho 'error parsing ca.json: boom' >&2\nexit 3");

        var e = await Assert.ThrowsAsync<StepCaException>(() => StepCaProcess.StartAsync(files, executablePath: fake, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("step-ca exited with code 3", e.Message);
        Assert.Contains("  starting up", e.Message);
        Assert.Contains("  error parsing ca.json: boom", e.Message);
    }

    [Fact]
    public async Task A_process_that_never_serves_times_out_and_is_stopped()
    {
        using var temp = new TempDirectory("stepca-hang");
        var files = WriteLayout(temp);
        var pidFile = Path.Combine(temp.Path, "pid");
        var fake = Script(temp, $"echo $$ > '{pidFile}'\necho 'thinking'\nexec sleep 60");

        var e = await Assert.ThrowsAsync<StepCaException>(() => StepCaProcess.StartAsync(
            new StepCaProcessOptions { Layout = files.Layout, ExecutablePath = fake, StartTimeout = TimeSpan.FromSeconds(1) },
            TestContext.Current.CancellationToken));

        Assert.Contains("did not start serving within 1 s", e.Message);
        Assert.Contains("  thinking", e.Message);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
    }

    [Fact]
    public async Task A_process_that_serves_but_is_never_healthy_times_out_with_the_last_problem()
    {
        using var temp = new TempDirectory("stepca-unhealthy");
        var files = WriteLayout(temp);
        var port = LoopbackPort.GetFree();
        var fake = Script(temp, $"echo 'The primary server URL is https://127.0.0.1:{port}'\necho 'Serving HTTPS on 127.0.0.1:{port} ...'\nexec sleep 60");

        var e = await Assert.ThrowsAsync<StepCaException>(() => StepCaProcess.StartAsync(
            new StepCaProcessOptions { Layout = files.Layout, ExecutablePath = fake, StartTimeout = TimeSpan.FromSeconds(2) },
            TestContext.Current.CancellationToken));

        Assert.Contains($"step-ca serves on 127.0.0.1:{port} but https://127.0.0.1:{port}/health did not answer {{\"status\":\"ok\"}} within 2 s", e.Message);
        Assert.Contains("Connection refused", e.Message);
    }

    [Fact]
    public async Task Starting_without_written_files_says_to_write_them()
    {
        using var temp = new TempDirectory("stepca-empty");
        var e = await Assert.ThrowsAsync<StepCaException>(() => StepCaProcess.StartAsync(
            new StepCaProcessOptions { Layout = StepCaLayout.Host(temp.Path), ExecutablePath = Script(temp, "exit 0") },
            TestContext.Current.CancellationToken));
        Assert.Contains("write the layout first (StepCaFiles.Write)", e.Message);
    }

    [Theory]
    [InlineData(":9000", "127.0.0.1", 9000)]
    [InlineData("0.0.0.0:9000", "127.0.0.1", 9000)]
    [InlineData("[::]:9000", "::1", 9000)]
    [InlineData("127.0.0.2:443", "127.0.0.2", 443)]
    public void Wildcard_listen_addresses_are_reached_on_loopback(string serving, string host, int port) =>
        Assert.Equal((host, port), StepCaProcess.ConnectTarget(serving));

    [Fact]
    public void Free_ports_are_bindable()
    {
        var port = LoopbackPort.GetFree();
        Assert.InRange(port, 1, 65535);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        listener.Start();
    }
}
