// Whether the member answers: a failed call shows the banner, and a probe
// every second (/version, outside the gateway) hides it again once the member
// is back. Views that stream (the watch panel) resume on 'reached'.

type Listener = (online: boolean) => void;

class Connection {
  online = true;
  private readonly listeners = new Set<Listener>();
  private probing: number | undefined;

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  lost(): void {
    if (!this.online) return;
    this.online = false;
    this.emit();
    this.probing = window.setInterval(() => void this.probe(), 1000);
  }

  reached(): void {
    if (this.online) return;
    this.online = true;
    window.clearInterval(this.probing);
    this.emit();
  }

  private async probe(): Promise<void> {
    try {
      const response = await fetch('/version', { signal: AbortSignal.timeout(900) });
      if (response.ok) this.reached();
    } catch {
      // still down
    }
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.online);
  }
}

export const connection = new Connection();
