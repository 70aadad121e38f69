using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// A stand-in for the kubelet and the Deployment controller: a Deployment whose container command names a program
/// this machine has (step-ca) runs as a local process, with its ConfigMap, Secret, projected and volume claim contents written
/// where the container would see them, a Pod that reports it, its output as the pod's log, readiness from its
/// readiness probe, and the Service proxy reaching it. A process that exits is started again as with
/// <c>restartPolicy: Always</c>: <c>lastState.terminated</c>, <c>restartCount</c>, and <c>CrashLoopBackOff</c> while
/// the kubelet's back-off runs (immediately after the first exit, then 10 s doubling up to 5 min); the exited run's
/// output stays readable as the previous log.
/// </summary>
/// <remarks>
/// Simplified: one replica; a volume source with <c>items</c> is refused rather than misread (<c>optional</c> is not
/// read); no image is pulled (the command's program runs from <c>executables</c>); there is no
/// container filesystem, so every string in a mounted JSON file that names a mounted path is rewritten to the host
/// folder, and a top-level <c>address</c> (step-ca's listen address) becomes a free loopback port; a restart runs the
/// same program with the same files and ports (no new container, so files the process wrote stay).
/// </remarks>
public sealed class Kubelet : IAsyncDisposable
{
    private static readonly ResourceType DeploymentType = ResourceType.BuiltIn.Single(t => t.Kind == "Deployment");
    private static readonly ResourceType PodType = ResourceType.BuiltIn.Single(t => t.Kind == "Pod");
    private static readonly ResourceType ServiceType = ResourceType.BuiltIn.Single(t => t.Kind == "Service");
    private static readonly ResourceType ConfigMapType = ResourceType.BuiltIn.Single(t => t.Kind == "ConfigMap");
    private static readonly ResourceType SecretType = ResourceType.BuiltIn.Single(t => t.Kind == "Secret");
    private static readonly WriteOptions Options = new(FieldManager: "kubelet");

    private readonly KubeApiServer server;
    private readonly IReadOnlyDictionary<string, string> executables;
    private readonly Lazy<string> root;
    private readonly Dictionary<string, RunningPod> running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private readonly ObjectStore.Watcher watcher;
    private readonly Task loop;

    private readonly bool ownsRoot;

    private Kubelet(KubeApiServer server, IReadOnlyDictionary<string, string> executables, Lazy<string> root, bool ownsRoot)
    {
        this.server = server;
        this.ownsRoot = ownsRoot;
        this.executables = executables;
        this.root = root;
        server.Proxy.Resolver = Resolve;
        watcher = server.Store.Watch(DeploymentType, null, 0, _ => true);
        loop = Task.Run(RunAsync);
    }

    /// <summary>The first wait before a crashed container is started again (the kubelet's 10 s); it doubles per crash up to <see cref="MaxBackOff"/>. Tests set it short.</summary>
    public TimeSpan BackOffBase { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest back-off (the kubelet's 5 min); a run that lasted twice as long resets it, as the kubelet does.</summary>
    public TimeSpan MaxBackOff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Starts running the Deployments stored now and later.</summary>
    /// <param name="executables">Command name (the container's <c>command[0]</c>) to the program that runs it, e.g. <c>step-ca</c>.</param>
    /// <param name="root">Where pod folders and volume claims live; a new temporary folder when null.</param>
    public static Kubelet Start(KubeApiServer server, IReadOnlyDictionary<string, string> executables, string? root = null) =>
        new(server, executables, new Lazy<string>(() => root ?? Directory.CreateTempSubdirectory("kube-api-double-kubelet").FullName), ownsRoot: root is null);

    private async Task RunAsync()
    {
        try
        {
            await foreach (var change in watcher.Channel.Reader.ReadAllAsync(stopping.Token))
            {
                var key = $"{change.Namespace}/{(string?)change.Object["metadata"]!["name"]}";
                try
                {
                    await ReconcileAsync(key, change.Type == "DELETED" ? null : change.Object);
                }
                catch (Exception e) when (e is ApiError or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    await Console.Error.WriteLineAsync($"kubelet stand-in: {key}: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReconcileAsync(string key, JsonObject? deployment)
    {
        var template = deployment?["spec"]?["template"]?.ToJsonString();
        RunningPod? current;
        lock (running)
        {
            running.TryGetValue(key, out current);
        }

        if (current is not null && current.Template == template && (int?)deployment?["spec"]?["replicas"] != 0)
        {
            return;
        }

        if (current is not null)
        {
            await StopAsync(key, current);
        }

        var command = (string?)deployment?["spec"]?["template"]?["spec"]?["containers"]?[0]?["command"]?[0];
        if (deployment is null || template is null || (int?)deployment["spec"]?["replicas"] == 0
            || command is null || !executables.TryGetValue(command, out var executable))
        {
            return;
        }

        var pod = StartPod(deployment, executable, template);
        lock (running)
        {
            running[key] = pod;
        }

        Launch(pod);
    }

    private RunningPod StartPod(JsonObject deployment, string executable, string template)
    {
        var ns = (string)deployment["metadata"]!["namespace"]!;
        var name = (string)deployment["metadata"]!["name"]!;
        var podSpec = (JsonObject)deployment["spec"]!["template"]!["spec"]!;
        var container = (JsonObject)podSpec["containers"]![0]!;
        var podName = $"{name}-{Guid.NewGuid().ToString("N")[..10]}";
        var podRoot = Path.Combine(root.Value, ns, podName);
        var mounts = new List<(string ContainerPath, string HostPath)>();
        var jsonFiles = new List<string>();
        foreach (var mount in container["volumeMounts"] as JsonArray ?? [])
        {
            var mountPath = (string)mount!["mountPath"]!;
            var volume = (podSpec["volumes"] as JsonArray)?.FirstOrDefault(v => (string?)v!["name"] == (string?)mount["name"]);
            var host = volume?["persistentVolumeClaim"]?["claimName"] is JsonNode claim
                ? Path.Combine(root.Value, "claims", ns, (string)claim!)
                : Path.Combine(podRoot, mountPath.TrimStart('/'));
            Directory.CreateDirectory(host);
            mounts.Add((mountPath, host));
            var mode = (UnixFileMode)((int?)volume?["configMap"]?["defaultMode"] ?? (int?)volume?["secret"]?["defaultMode"] ?? (int?)volume?["projected"]?["defaultMode"] ?? 420);
            // A projected volume writes the keys of each of its sources into the one folder.
            var sources = volume?["projected"]?["sources"] is JsonArray projected
                ? projected.Select(p => (ConfigMap: p?["configMap"], Secret: p?["secret"], SecretName: (string?)p?["secret"]?["name"]))
                : [(volume?["configMap"], volume?["secret"], (string?)volume?["secret"]?["secretName"])];
            if (sources.Any(s => s.ConfigMap?["items"] is not null || s.Secret?["items"] is not null))
            {
                throw new InvalidOperationException($"volume '{(string?)volume!["name"]}': items are not supported by the kubelet stand-in");
            }

            foreach (var (configMapSource, _, secretName) in sources)
            {
                if ((string?)configMapSource?["name"] is { } configMapName)
                {
                    var configMap = server.Api.Get(ConfigMapType, ns, configMapName);
                    foreach (var (file, value) in configMap["data"] as JsonObject ?? [])
                    {
                        WriteFile(Path.Combine(host, file), Encoding.UTF8.GetBytes((string)value!), mode);
                        if (file.EndsWith(".json", StringComparison.Ordinal))
                        {
                            jsonFiles.Add(Path.Combine(host, file));
                        }
                    }
                }
                else if (secretName is not null)
                {
                    var secret = server.Api.Get(SecretType, ns, secretName);
                    foreach (var (file, value) in secret["data"] as JsonObject ?? [])
                    {
                        WriteFile(Path.Combine(host, file), Convert.FromBase64String((string)value!), mode);
                    }
                }
            }
        }

        string Map(string path)
        {
            var mount = mounts.Where(m => path == m.ContainerPath || path.StartsWith(m.ContainerPath.TrimEnd('/') + "/", StringComparison.Ordinal))
                .OrderByDescending(m => m.ContainerPath.Length).FirstOrDefault();
            return mount.ContainerPath is null ? path : mount.HostPath + path[mount.ContainerPath.Length..];
        }

        var ports = new Dictionary<int, int>();
        foreach (var file in jsonFiles)
        {
            var json = JsonNode.Parse(File.ReadAllText(file))!;
            if (json is JsonObject obj && (string?)obj["address"] is { } address
                && int.TryParse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture, out var containerPort))
            {
                ports[containerPort] = FreePort();
                obj["address"] = $"127.0.0.1:{ports[containerPort]}";
            }

            File.WriteAllText(file, RewritePaths(json, Map)!.ToJsonString());
        }

        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = podRoot,
        };
        var arguments = (container["args"] as JsonArray ?? []).Select(a => Map((string)a!)).ToList();
        if (server.ClusterDns is { } dns && Path.GetFileName(executable) == "step-ca" && !arguments.Contains("--resolver"))
        {
            // A process here cannot be given its own resolv.conf; step-ca takes the cluster DNS as a flag (before the
            // positional ca.json, where urfave/cli stops reading flags).
            arguments.InsertRange(0, ["--resolver", dns.ToString()]);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var labels = deployment["spec"]!["template"]!["metadata"]?["labels"]?.DeepClone();
        var podObject = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = podName,
                ["namespace"] = ns,
                ["labels"] = labels,
                // As a Deployment's pods are: owned by its ReplicaSet (which the double does not store).
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1",
                    ["kind"] = "ReplicaSet",
                    ["name"] = $"{(string?)deployment["metadata"]?["name"]}-{podName[^10..^5]}",
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = podSpec.DeepClone(),
        };
        var created = server.Api.Create(PodType, ns, podObject, Options);
        return new RunningPod(ns, podName, (string?)created["metadata"]?["uid"] ?? "", template, info, ports, (JsonObject)deployment.DeepClone());
    }

    /// <summary>Starts (or starts again) the pod's container process and reports it running, not yet ready.</summary>
    private void Launch(RunningPod pod)
    {
        Process process;
        lock (pod)
        {
            if (pod.Stopped || stopping.IsCancellationRequested)
            {
                return;
            }

            // Each run has its own log: the one before stays readable as the previous log.
            var log = server.PodLogs.Begin(pod.Namespace, pod.Name, null);
            process = new Process { StartInfo = pod.StartInfo, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => Append(log, e.Data);
            process.ErrorDataReceived += (_, e) => Append(log, e.Data);
            process.Exited += (_, _) => _ = Task.Run(() => OnExitedAsync(pod, process));
            if (!process.Start())
            {
                throw new InvalidOperationException($"{pod.StartInfo.FileName} did not start");
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var before = pod.Process;
            pod.Process = process;
            before?.Dispose();
            pod.StartedAt = DateTime.UtcNow;
            pod.State = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Timestamp(pod.StartedAt) } };
            WritePodStatus(pod, ready: false);
        }

        _ = Task.Run(() => ProbeAsync(pod, process));
    }

    private static void Append(PodLogs.Log log, string? line)
    {
        if (line is not null)
        {
            log.Append(line);
        }
    }

    /// <summary>The readiness probe, as the kubelet runs it (HTTPS without verifying the certificate).</summary>
    private async Task ProbeAsync(RunningPod pod, Process process)
    {
        var container = pod.Deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var probe = container["readinessProbe"]?["httpGet"];
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
        for (var attempt = 0; attempt < 300 && !process.HasExited && !stopping.IsCancellationRequested; attempt++)
        {
            var ready = probe is null;
            if (probe is not null && HostPort(container, probe["port"], pod) is { } port)
            {
                var scheme = ((string?)probe["scheme"] ?? "HTTP").ToLowerInvariant();
                try
                {
                    using var response = await client.GetAsync($"{scheme}://127.0.0.1:{port}{(string?)probe["path"] ?? "/"}", stopping.Token);
                    ready = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
                {
                }
            }

            if (ready)
            {
                lock (pod)
                {
                    // Only for the run it probed: a run that exited meanwhile is not ready.
                    if (pod.Process == process && !process.HasExited && !pod.Stopped)
                    {
                        WritePodStatus(pod, ready: true);
                    }
                }

                return;
            }

            await Task.Delay(200, stopping.Token);
        }
    }

    private static int? HostPort(JsonNode container, JsonNode? port, RunningPod pod)
    {
        int? containerPort = port switch
        {
            JsonValue v when v.TryGetValue<int>(out var number) => number,
            JsonValue v when v.TryGetValue<string>(out var portName) =>
                (int?)(container["ports"] as JsonArray)?.FirstOrDefault(p => (string?)p!["name"] == portName)?["containerPort"],
            _ => null,
        };
        return containerPort is { } c && pod.Ports.TryGetValue(c, out var host) ? host : null;
    }

    /// <summary>A Service's port, by number or name, to the loopback port of the pod its selector picks.</summary>
    private Uri? Resolve(string ns, string serviceName, string port)
    {
        var service = server.Store.Get(ServiceType, ns, serviceName);
        var selector = service?["spec"]?["selector"] as JsonObject;
        var servicePort = (service?["spec"]?["ports"] as JsonArray)?.FirstOrDefault(p =>
            port.Length == 0 || (string?)p!["name"] == port || p!["port"]?.ToJsonString() == port);
        if (selector is null || servicePort is null)
        {
            return null;
        }

        List<RunningPod> pods;
        lock (running)
        {
            pods = [.. running.Values];
        }

        foreach (var pod in pods.Where(p => p.Namespace == ns && p.Process is { HasExited: false }))
        {
            var labels = pod.Deployment["spec"]!["template"]!["metadata"]?["labels"] as JsonObject;
            if (selector.All(s => (string?)labels?[s.Key] == (string?)s.Value))
            {
                var container = pod.Deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
                if (HostPort(container, servicePort["targetPort"] ?? servicePort["port"], pod) is { } host)
                {
                    var https = (string?)container["readinessProbe"]?["httpGet"]?["scheme"] == "HTTPS" || (string?)servicePort["name"] == "https";
                    return new Uri($"{(https ? "https" : "http")}://127.0.0.1:{host}/");
                }
            }
        }

        return null;
    }

    private static string Timestamp(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The pod's status from its container's state (the caller holds the pod's lock), and the Deployment's from its readiness.</summary>
    private void WritePodStatus(RunningPod pod, bool ready)
    {
        var now = Timestamp(DateTime.UtcNow);
        var container = pod.Deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var containerStatus = new JsonObject
        {
            ["name"] = container["name"]?.DeepClone(),
            ["image"] = container["image"]?.DeepClone(),
            ["imageID"] = "",
            ["ready"] = ready,
            ["restartCount"] = pod.RestartCount,
            ["started"] = pod.State["running"] is not null,
            ["state"] = pod.State.DeepClone(),
        };
        if (pod.LastState is not null)
        {
            containerStatus["lastState"] = new JsonObject { ["terminated"] = pod.LastState.DeepClone() };
        }

        var status = new JsonObject
        {
            ["status"] = new JsonObject
            {
                // restartPolicy Always: the pod stays Running while its container is restarted.
                ["phase"] = "Running",
                ["podIP"] = "127.0.0.1",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = now }),
                ["containerStatuses"] = new JsonArray(containerStatus),
            },
        };
        server.Api.Patch(PodType, pod.Namespace, pod.Name, "status", "application/merge-patch+json", status.ToJsonString(), Options);

        var deploymentName = (string)pod.Deployment["metadata"]!["name"]!;
        var deployment = server.Store.Get(DeploymentType, pod.Namespace, deploymentName);
        var readyReplicas = ready ? 1 : 0;
        var deploymentStatus = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["observedGeneration"] = deployment?["metadata"]?["generation"]?.DeepClone(),
                ["replicas"] = 1,
                ["updatedReplicas"] = 1,
                ["readyReplicas"] = readyReplicas,
                ["availableReplicas"] = readyReplicas,
                ["unavailableReplicas"] = 1 - readyReplicas,
                ["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "Available", ["status"] = ready ? "True" : "False", ["reason"] = ready ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", ["lastTransitionTime"] = now }),
            },
        };
        if (deployment is not null)
        {
            server.Api.Patch(DeploymentType, pod.Namespace, deploymentName, "status", "application/merge-patch+json", deploymentStatus.ToJsonString(), Options);
        }
    }

    /// <summary>
    /// As the kubelet with <c>restartPolicy: Always</c>: the exit is reported (<c>terminated</c>, then as
    /// <c>lastState</c>), the first crash is started again at once, later ones after a back-off shown as
    /// <c>CrashLoopBackOff</c>; <c>restartCount</c> counts the runs started again.
    /// </summary>
    private async Task OnExitedAsync(RunningPod pod, Process process)
    {
        lock (pod)
        {
            if (pod.Stopped || stopping.IsCancellationRequested)
            {
                return;
            }
        }

        try
        {
            // Waits until the redirected output is read to its end, so the exited run's log is complete.
            process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            return; // disposed: the pod was stopped meanwhile
        }

        TimeSpan delay;
        lock (pod)
        {
            if (pod.Stopped || stopping.IsCancellationRequested || pod.Process != process)
            {
                return;
            }

            var finished = DateTime.UtcNow;
            var code = process.ExitCode;
            var terminated = new JsonObject
            {
                ["exitCode"] = code,
                ["reason"] = code == 0 ? "Completed" : "Error",
                ["startedAt"] = Timestamp(pod.StartedAt),
                ["finishedAt"] = Timestamp(finished),
            };
            server.PodLogs.Exited(pod.Namespace, pod.Name);
            if (finished - pod.StartedAt >= MaxBackOff * 2)
            {
                pod.BackOff = null;
            }

            delay = pod.BackOff ?? TimeSpan.Zero;
            pod.BackOff = pod.BackOff is { } last ? (last * 2 > MaxBackOff ? MaxBackOff : last * 2) : BackOffBase;
            try
            {
                pod.State = new JsonObject { ["terminated"] = terminated.DeepClone() };
                WritePodStatus(pod, ready: false);
                pod.LastState = terminated;
                if (delay > TimeSpan.Zero)
                {
                    var containerName = (string?)pod.Deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["name"];
                    pod.State = new JsonObject
                    {
                        ["waiting"] = new JsonObject
                        {
                            ["reason"] = "CrashLoopBackOff",
                            ["message"] = $"back-off {GoDuration(delay)} restarting failed container={containerName} pod={pod.Name}_{pod.Namespace}({pod.Uid})",
                        },
                    };
                    WritePodStatus(pod, ready: false);
                }
            }
            catch (ApiError)
            {
                return;
            }
        }

        try
        {
            await Task.Delay(delay, stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (pod)
        {
            if (pod.Stopped || pod.Process != process)
            {
                return;
            }

            pod.RestartCount++;
        }

        try
        {
            Launch(pod);
        }
        catch (Exception e) when (e is ApiError or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            await Console.Error.WriteLineAsync($"kubelet stand-in: {pod.Namespace}/{pod.Name}: {e.Message}");
        }
    }

    /// <summary>A duration as Go prints it (10s, 1m20s, 5m0s, 200ms), as the kubelet's back-off message has it.</summary>
    internal static string GoDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return $"{duration.TotalMilliseconds.ToString("0.######", CultureInfo.InvariantCulture)}ms";
        }

        var seconds = (duration.TotalSeconds % 60).ToString("0.#########", CultureInfo.InvariantCulture) + "s";
        var minutes = (int)duration.TotalMinutes % 60;
        var hours = (int)duration.TotalHours;
        return hours > 0 ? $"{hours}h{minutes}m{seconds}" : minutes > 0 ? $"{minutes}m{seconds}" : seconds;
    }

    private async Task StopAsync(string key, RunningPod pod)
    {
        lock (running)
        {
            running.Remove(key);
        }

        await KillAsync(pod);
        try
        {
            server.Api.Delete(PodType, pod.Namespace, pod.Name, Options);
        }
        catch (ApiError)
        {
        }

        server.PodLogs.Close(pod.Namespace, pod.Name);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        server.Store.StopWatch(watcher);
        await loop;
        server.Proxy.Resolver = null;
        List<KeyValuePair<string, RunningPod>> pods;
        lock (running)
        {
            pods = [.. running];
        }

        foreach (var (key, pod) in pods)
        {
            await KillAsync(pod);
            lock (running)
            {
                running.Remove(key);
            }
        }

        if (ownsRoot && root.IsValueCreated)
        {
            try
            {
                Directory.Delete(root.Value, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a temporary folder left behind does no harm.
            }
        }
    }

    /// <summary>Stops the pod for good: no restart follows.</summary>
    private static async Task KillAsync(RunningPod pod)
    {
        Process? process;
        lock (pod)
        {
            pod.Stopped = true;
            process = pod.Process;
        }

        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static JsonNode? RewritePaths(JsonNode? node, Func<string, string> map)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    obj[key] = RewritePaths(obj[key]?.DeepClone(), map);
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = RewritePaths(array[i]?.DeepClone(), map);
                }

                return array;
            case JsonValue value when value.TryGetValue<string>(out var text) && text.StartsWith('/'):
                return JsonValue.Create(map(text));
            default:
                return node;
        }
    }

    private static void WriteFile(string path, byte[] content, UnixFileMode mode)
    {
        File.WriteAllBytes(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class RunningPod(string ns, string name, string uid, string template, ProcessStartInfo startInfo, Dictionary<int, int> ports, JsonObject deployment)
    {
        public string Namespace { get; } = ns;

        public string Name { get; } = name;

        public string Uid { get; } = uid;

        public string Template { get; } = template;

        public ProcessStartInfo StartInfo { get; } = startInfo;

        public Dictionary<int, int> Ports { get; } = ports;

        public JsonObject Deployment { get; } = deployment;

        /// <summary>The current run's process (null before the first).</summary>
        public Process? Process { get; set; }

        public DateTime StartedAt { get; set; }

        /// <summary>The container's <c>state</c> (running, terminated or waiting).</summary>
        public JsonObject State { get; set; } = [];

        /// <summary>The last run that ended (<c>lastState.terminated</c>).</summary>
        public JsonObject? LastState { get; set; }

        public int RestartCount { get; set; }

        /// <summary>The wait before the next restart after a crash; null until the first crash.</summary>
        public TimeSpan? BackOff { get; set; }

        public bool Stopped { get; set; }
    }
}
