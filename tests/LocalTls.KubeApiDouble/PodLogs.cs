using System.Collections.Concurrent;
using System.Threading.Channels;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// What <c>/api/v1/namespaces/{ns}/pods/{name}/log</c> serves: lines a test writes, or the kubelet stand-in's process
/// output; clients read them, or follow them with <c>follow=true</c>. The run before a container's restart stays
/// readable with <c>previous=true</c>.
/// </summary>
public sealed class PodLogs
{
    private readonly ConcurrentDictionary<string, Log> logs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Log> previous = new(StringComparer.Ordinal);

    /// <summary>Appends a line to a container's log (the first container when <paramref name="container"/> is null).</summary>
    public void Write(string ns, string pod, string line, string? container = null) => For(ns, pod, container).Append(line);

    /// <summary>Ends the container's log, as a container exit does: followers reach the end of the stream.</summary>
    public void Close(string ns, string pod, string? container = null) => For(ns, pod, container).Close();

    internal Log For(string ns, string pod, string? container) => logs.GetOrAdd($"{ns}/{pod}/{container}", _ => new Log());

    /// <summary>The log of the container's last run that ended, or null when it has not ended yet.</summary>
    internal Log? Previous(string ns, string pod, string? container) => previous.GetValueOrDefault($"{ns}/{pod}/{container}");

    /// <summary>
    /// The container's run ended: its log is closed and becomes the previous log. Until the next run begins it is
    /// also what a read without <c>previous</c> answers, as the kubelet serves the last terminated run then.
    /// </summary>
    internal void Exited(string ns, string pod, string? container = null)
    {
        var log = For(ns, pod, container);
        log.Close();
        previous[$"{ns}/{pod}/{container}"] = log;
    }

    /// <summary>A run of the container begins: a fresh log when the last one ended.</summary>
    internal Log Begin(string ns, string pod, string? container) =>
        logs.AddOrUpdate($"{ns}/{pod}/{container}", _ => new Log(), (_, log) => log.IsClosed ? new Log() : log);

    internal sealed class Log
    {
        private readonly List<string> lines = [];
        private readonly List<Channel<string>> followers = [];
        private bool closed;

        public void Append(string line)
        {
            lock (lines)
            {
                lines.Add(line);
                foreach (var follower in followers)
                {
                    follower.Writer.TryWrite(line);
                }
            }
        }

        public bool IsClosed
        {
            get
            {
                lock (lines)
                {
                    return closed;
                }
            }
        }

        public void Close()
        {
            lock (lines)
            {
                closed = true;
                foreach (var follower in followers)
                {
                    follower.Writer.TryComplete();
                }
            }
        }

        /// <summary>The lines so far (the last <paramref name="tail"/> of them), and a channel of those to come when following.</summary>
        public (IReadOnlyList<string> Lines, Channel<string>? Follow) Read(int? tail, bool follow)
        {
            lock (lines)
            {
                var snapshot = tail is { } n ? lines.Skip(Math.Max(0, lines.Count - n)).ToList() : [.. lines];
                if (!follow)
                {
                    return (snapshot, null);
                }

                var channel = Channel.CreateUnbounded<string>();
                if (closed)
                {
                    channel.Writer.TryComplete();
                }
                else
                {
                    followers.Add(channel);
                }

                return (snapshot, channel);
            }
        }

        public void Unfollow(Channel<string> channel)
        {
            lock (lines)
            {
                followers.Remove(channel);
            }
        }
    }
}
