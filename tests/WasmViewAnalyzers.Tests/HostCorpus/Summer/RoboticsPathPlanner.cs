// A robotics path planner: an A*/RRT planner compiled to wasm plans over an occupancy grid in guest memory; the
// host streams waypoints to a motion controller (shape: UnityWasmScripting per-frame updates, wasmtime-dotnet typed exports).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Summer.RoboticsPathPlanner;

[StructLayout(LayoutKind.Sequential)]
public struct Waypoint
{
    public float X, Y, Heading, Speed;
}

public sealed record PlanSnapshot(int Version, nint Waypoints, int Count);
public sealed record PlanOffsets(int Version, int WaypointsOffset, int Count);

public readonly struct GridCell
{
    private readonly PathPlanner _planner;
    public GridCell(PathPlanner planner, int x, int y) { _planner = planner; X = x; Y = y; }
    public int X { get; }
    public int Y { get; }

    // Converting a cell to its cost asks the guest (the cost map is computed lazily).
    public static explicit operator float(GridCell cell) => cell._planner.CostAt(cell.X, cell.Y);
}

public sealed class MotionController
{
    public nint Target;
    public int TargetOffset;
    public PlanSnapshot? Active { get; set; }
}

public sealed class PathPlanner
{
    private static nint s_lastGrid;
    private readonly Memory _memory;
    private readonly Func<int, int, int, int, int> _plan;   // (sx, sy, gx, gy) -> waypoints ptr
    private readonly Func<int> _waypointCount;
    private readonly Func<int, int, float> _costAt;
    private readonly Func<int> _gridPtr;
    private PlanSnapshot? _current;
    private PlanOffsets? _currentOffsets;
    private readonly nint[] _recent = new nint[4];

    public PathPlanner(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _plan = instance.GetFunction<int, int, int, int, int>("plan")!;
        _waypointCount = instance.GetFunction<int>("waypoint_count")!;
        _costAt = instance.GetFunction<int, int, float>("cost_at")!;
        _gridPtr = instance.GetFunction<int>("grid_ptr")!;
    }

    internal float CostAt(int x, int y) => _costAt(x, y);

    private unsafe ref Waypoint WaypointAt(int address, int index) =>
        ref Unsafe.Add(ref Unsafe.AsRef<Waypoint>((void*)(_memory.GetPointer() + address)), index);

    public void Plan(int sx, int sy, int gx, int gy, MotionController controller)
    {
        var address = _plan(sx, sy, gx, gy);
        var count = _waypointCount();
        var first = _memory.GetPointer() + address;
        controller.Target = first;                                        // expect: WVA002
        controller.TargetOffset = address;
        _current = new PlanSnapshot(1, first, count);                     // expect: WVA002
        _currentOffsets = new PlanOffsets(1, address, count);
        _recent[count % 4] = first;                                       // expect: WVA002
        // Left to right: the base pointer is taken before grid_ptr runs, so it is already stale when it is kept.
        s_lastGrid = _memory.GetPointer() + _gridPtr();                  // expect: WVA001, WVA002
    }

    public void Replan(int gx, int gy)
    {
        if (_currentOffsets is { } offsets)
        {
            var address = _plan(0, 0, gx, gy);
            _currentOffsets = offsets with { Version = offsets.Version + 1, WaypointsOffset = address };   // offsets only
        }
    }

    public float StartSpeedAfterCost(int address, GridCell cell)
    {
        ref var start = ref WaypointAt(address, 0);
        var cost = (float)cell;                                           // the conversion runs the guest
        return start.Speed / MathF.Max(cost, 1f);                         // expect: WVA001
    }

    public float StartSpeedBeforeCost(int address, GridCell cell)
    {
        var speed = WaypointAt(address, 0).Speed;                         // a value read out of the ref
        var cost = (float)cell;
        return speed / MathF.Max(cost, 1f);
    }

    public unsafe float PathLength(int sx, int sy, int gx, int gy)
    {
        var address = _plan(sx, sy, gx, gy);
        var count = _waypointCount();
        var plan = (Address: _memory.GetPointer() + address, Count: count);
        var smoothing = _plan(sx, sy, gx, gy);                            // a second, smoothed plan reuses the buffer
        var points = new ReadOnlySpan<Waypoint>((void*)plan.Address, plan.Count);   // an alias of the stale pointer
        var length = 0f;
        for (var i = 1; i < points.Length; i++)
        {
            length += MathF.Sqrt(MathF.Pow(points[i].X - points[i - 1].X, 2) + MathF.Pow(points[i].Y - points[i - 1].Y, 2));   // expect: WVA001
        }
        return length + smoothing * 0;
    }

    public unsafe float FirstHeading(int sx, int sy, int gx, int gy)
    {
        nint? maybe = null;
        var address = _plan(sx, sy, gx, gy);
        if (_waypointCount() > 0)
        {
            maybe = _memory.GetPointer() + address;
        }
        var cost = _costAt(gx, gy);
        return maybe.HasValue ? ((Waypoint*)maybe.Value)->Heading + cost : 0f;   // expect: WVA001
    }

    public unsafe float FirstHeadingFresh(int sx, int sy, int gx, int gy)
    {
        var address = _plan(sx, sy, gx, gy);
        var count = _waypointCount();
        var cost = _costAt(gx, gy);
        nint? maybe = count > 0 ? _memory.GetPointer() + address : null;   // obtained after the last call
        return maybe.HasValue ? ((Waypoint*)maybe.Value)->Heading + cost : 0f;
    }

    public int ActiveCount(MotionController controller)
    {
        // Only the plain members of a record that also holds a pointer: no guest memory is read.
        return controller.Active is { Count: var count, Version: > 0 } ? count : 0;
    }

    public unsafe float ActiveSpeed(MotionController controller, int gx, int gy)
    {
        var address = _plan(0, 0, gx, gy);
        var count = _waypointCount();
        var snapshot = new PlanSnapshot(2, _memory.GetPointer() + address, count);
        if (snapshot is { Waypoints: var waypoints, Count: > 0 })
        {
            _costAt(gx, gy);                                              // the cost query reuses the plan buffer
            return ((Waypoint*)waypoints)->Speed;                          // expect: WVA001
        }
        return 0f;
    }

    public unsafe float ActiveSpeedFirst(int gx, int gy)
    {
        var address = _plan(0, 0, gx, gy);
        var count = _waypointCount();
        var snapshot = new PlanSnapshot(2, _memory.GetPointer() + address, count);
        if (snapshot is { Waypoints: var waypoints, Count: > 0 })
        {
            var speed = ((Waypoint*)waypoints)->Speed;                     // read before the cost query
            return speed / MathF.Max(_costAt(gx, gy), 1f);
        }
        return 0f;
    }

    public async IAsyncEnumerable<Waypoint> StreamAsync(int sx, int sy, int gx, int gy, [EnumeratorCancellation] CancellationToken token = default)
    {
        var address = _plan(sx, sy, gx, gy);
        var count = _waypointCount();
        for (var i = 0; i < count; i++)
        {
            await Task.Delay(10, token);
            yield return _memory.Read<Waypoint>(address + i * 16);        // a copy, read after each await
        }
    }

    public unsafe object Summary(int address, int count)
    {
        var first = _memory.GetPointer() + address;
        var summary = new { Count = count, Heading = ((Waypoint*)first)->Heading };   // a value read at once
        _plan(0, 0, 1, 1);
        return summary;
    }

    public unsafe float[] Speeds(IEnumerable<PlanOffsets> plans)
    {
        // LINQ over offsets; each pointer is obtained inside the selector, which runs at once in ToArray.
        return plans.Select(p => ((Waypoint*)(_memory.GetPointer() + p.WaypointsOffset))->Speed).ToArray();
    }
}
